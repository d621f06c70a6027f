import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, FirebreakError } from '../../src/lib/errors.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { enqueueJob } from '../../src/queue/queue.js';
import { msUntilNextJob } from '../../src/queue/jobs-sql.js';
import { startWorker, type JobHandler, type Worker } from '../../src/queue/worker.js';
import { backends, type TestDatabase } from '../support/databases.js';

const logger = createLogger('silent');
const waitUntil = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000) => {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

for (const backend of backends()) {
  describe(`the durable job queue (${backend.name})`, () => {
    let database: TestDatabase;
    const workers: Worker[] = [];
    const start = async (handlers: Record<string, JobHandler>, pollMs = 60_000) => {
      const w = await startWorker({ db: database.db, handlers, logger, metrics: createMetrics(async () => ({})), pollMs, backoffBaseMs: 10 });
      workers.push(w);
      return w;
    };
    const jobs = async () => (await database.db.query<{ kind: string; attempts: number; last_error: string | null; failed: boolean }>(
      'SELECT kind, attempts, last_error, failed_at IS NOT NULL AS failed FROM jobs ORDER BY id')).rows;

    before(async () => {
      database = await backend.create();
    });
    after(async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await database.close();
    });

    test('a job committed later wakes an idle worker through NOTIFY (its poll is a minute away)', async () => {
      const seen: unknown[] = [];
      await start({ 'test.wake': async (job) => { seen.push(job.payload); } });
      await new Promise((r) => setTimeout(r, 200)); // the worker has looked, found nothing, and sleeps
      await database.db.transaction((tx) => enqueueJob(tx, { kind: 'test.wake', payload: { n: 1 } }));
      await waitUntil('the job to run', () => seen.length === 1);
      assert.deepEqual(seen, [{ n: 1 }]);
      await waitUntil('the job to be gone', async () => (await jobs()).length === 0);
    });

    test('an idle worker with nothing queued sleeps until its poll: it looks once, not every few milliseconds', async () => {
      let looks = 0;
      const db = { ...database.db, query: ((sql: string, params?: unknown[]) => {
        if (sql.includes('SET lease_owner = $1')) looks++;
        return database.db.query(sql, params);
      }) as typeof database.db.query };
      const w = await startWorker({ db, handlers: { 'test.idle': async () => {} }, logger, metrics: createMetrics(async () => ({})), pollMs: 60_000 });
      workers.push(w);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(looks, 1, 'one look at start, then asleep until a NOTIFY or the poll');
      assert.equal(await msUntilNextJob(database.db, ['test.idle']), null, 'nothing waits: no next job');
      await database.db.transaction((tx) => enqueueJob(tx, { kind: 'test.idle-later', runAt: new Date(Date.now() + 60_000) }));
      const ms = await msUntilNextJob(database.db, ['test.idle-later']);
      assert.ok(ms !== null && ms > 50_000 && ms <= 60_000, `a job due in a minute is ${ms} ms away`);
      await database.db.query("DELETE FROM jobs WHERE kind = 'test.idle-later'"); // the next tests start from an empty queue
    });

    test('a lost LISTEN connection is re-opened: a job queued while it was down runs once it is back, and NOTIFY wakes the worker again', { skip: backend.name === 'pglite' && 'PGlite has no separate LISTEN connection to lose' }, async () => {
      const seen: number[] = [];
      await start({ 'test.relisten': async (job) => { seen.push(job.payload.n as number); } });
      await new Promise((r) => setTimeout(r, 200));
      const listeners = async () => (await database.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'firebreak-listen' AND datname = current_database()")).rows[0]!.n;
      const before = await listeners();
      assert.equal(before, workers.length, 'one LISTEN connection per worker');
      await database.db.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'firebreak-listen' AND datname = current_database()");
      // Re-opening waits a second, so there is a moment when nobody listens: this job's NOTIFY is lost.
      await waitUntil('every LISTEN connection to be gone', async () => (await listeners()) === 0);
      await database.db.transaction((tx) => enqueueJob(tx, { kind: 'test.relisten', payload: { n: 1 } }));
      await waitUntil('the job queued meanwhile to run (the poll is a minute away)', () => seen.length === 1);
      assert.equal(await listeners(), before, 'every LISTEN connection is back');
      await database.db.transaction((tx) => enqueueJob(tx, { kind: 'test.relisten', payload: { n: 2 } }));
      await waitUntil('the next job to run on its NOTIFY', () => seen.length === 2);
      assert.deepEqual(seen, [1, 2]);
    });

    test('failures are retried with backoff, the error kept meanwhile; success removes the job', async () => {
      let runs = 0;
      await start({ 'test.flaky': async () => {
        runs++;
        if (runs < 3) throw new Error(`flaky ${runs}`);
      } });
      await database.db.transaction((tx) => enqueueJob(tx, { kind: 'test.flaky' }));
      await waitUntil('three runs', () => runs === 3);
      await waitUntil('the job to be gone', async () => (await jobs()).length === 0);
    });

    test('a permanent error fails the job at once; the last allowed attempt fails it too; both are kept with their error', async () => {
      await start({
        'test.permanent': async () => { throw new FirebreakError(ErrorCode.SlackRefused, 'Slack chat.postMessage: invalid_blocks'); },
        'test.always': async () => { throw new Error('still broken'); },
      });
      await database.db.transaction(async (tx) => {
        await enqueueJob(tx, { kind: 'test.permanent' });
        await enqueueJob(tx, { kind: 'test.always' });
        await tx.query("UPDATE jobs SET max_attempts = 3 WHERE kind = 'test.always'");
      });
      await waitUntil('both to fail', async () => (await jobs()).every((j) => j.failed) && (await jobs()).length === 2);
      assert.deepEqual(await jobs(), [
        { kind: 'test.permanent', attempts: 1, last_error: 'Slack chat.postMessage: invalid_blocks', failed: true },
        { kind: 'test.always', attempts: 3, last_error: 'still broken', failed: true },
      ]);
      await database.db.query('DELETE FROM jobs');
    });

    test('a postponed job runs again later without spending an attempt', async () => {
      let runs = 0;
      await start({ 'test.later': async (job) => {
        runs++;
        assert.equal(job.attempts, 1, 'postponing spends no attempt');
        return runs < 3 ? { postponeMs: 20 } : undefined;
      } }, 50);
      await database.db.transaction((tx) => enqueueJob(tx, { kind: 'test.later' }));
      await waitUntil('three runs', () => runs === 3);
    });

    test('a job whose worker died (lease ran out) is taken over', async () => {
      const seen: number[] = [];
      await database.db.query(
        `INSERT INTO jobs (kind, lease_owner, lease_until, attempts) VALUES ('test.orphan', 'worker-dead', now() - interval '1 second', 1)`);
      await start({ 'test.orphan': async (job) => { seen.push(job.attempts); } }, 50);
      await waitUntil('the orphan to run', () => seen.length === 1);
      assert.deepEqual(seen, [2]);
    });

    test('several workers share the queue: each of 60 jobs runs exactly once', async () => {
      const runs = new Map<number, number>();
      const handler: JobHandler = async (job) => {
        const n = job.payload.n as number;
        runs.set(n, (runs.get(n) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
      };
      await Promise.all([1, 2, 3].map(() => start({ 'test.shared': handler })));
      await database.db.transaction(async (tx) => {
        for (let n = 0; n < 60; n++) await enqueueJob(tx, { kind: 'test.shared', payload: { n } });
      });
      await waitUntil('all 60', () => runs.size === 60);
      await waitUntil('the queue to empty', async () => (await jobs()).length === 0);
      assert.ok([...runs.values()].every((c) => c === 1), JSON.stringify([...runs]));
    });

    test('coalescing: while a job with a key waits, the same key adds nothing; once it runs, a change queues one more', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      let runs = 0;
      await start({ 'test.coalesce': async () => { runs++; if (runs === 1) await gate; } }, 50);
      const enqueue = () => database.db.transaction((tx) => enqueueJob(tx, { kind: 'test.coalesce', uniqueKey: 'card:1' }));
      await enqueue();
      await waitUntil('the first run', () => runs === 1);
      for (let i = 0; i < 5; i++) await enqueue(); // while the first runs: one pending job, not five
      assert.equal((await jobs()).length, 2);
      release();
      await waitUntil('the second run', () => runs === 2);
      await waitUntil('the queue to empty', async () => (await jobs()).length === 0);
      assert.equal(runs, 2);
    });
  });
}
