import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, FirebreakError } from '../../src/lib/errors.js';
import { handle, type JobBinding } from '../../src/queue/job.js';
import { msUntilNextJob } from '../../src/queue/jobs-sql.js';
import type { Queue } from '../../src/queue/queue.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { startTestQueue, testJob, waitUntil, type TestPayload } from '../support/queue.js';

for (const backend of backends()) {
  describe(`the durable job queue (${backend.name})`, () => {
    let database: TestDatabase;
    const queues: Queue[] = [];
    const start = async (bindings: JobBinding[], o: Parameters<typeof startTestQueue>[2] = {}) => {
      const q = await startTestQueue(database.db, bindings, o);
      queues.push(q);
      return q;
    };
    const jobs = async () => (await database.db.query<{ kind: string; attempts: number; last_error: string | null; state: string }>(
      `SELECT kind, attempts, last_error, CASE WHEN failed_at IS NOT NULL THEN 'failed' WHEN done_at IS NOT NULL THEN 'done' ELSE 'open' END AS state
         FROM jobs ORDER BY id`)).rows;
    const open = async () => (await jobs()).filter((j) => j.state === 'open');

    before(async () => {
      database = await backend.create();
    });
    after(async () => {
      await Promise.all(queues.map((q) => q.stop()));
      await database.close();
    });

    test('a job committed later wakes an idle pool through NOTIFY (its poll is a minute away); done, it is kept as done', async () => {
      const wake = testJob('test.wake');
      const seen: TestPayload[] = [];
      const q = await start([handle(wake, async (job) => { seen.push(job.payload); })]);
      await new Promise((r) => setTimeout(r, 200)); // the pool has looked, found nothing, and sleeps
      await database.db.transaction((tx) => q.enqueue(tx, wake.of({ n: 1 })));
      await waitUntil('the job to run', () => seen.length === 1);
      assert.deepEqual(seen, [{ n: 1 }]);
      await waitUntil('the job to be done', async () => (await jobs()).at(-1)?.state === 'done');
    });

    test('an idle pool with nothing queued sleeps until its poll: it looks once, not every few milliseconds', async () => {
      let looks = 0;
      const db = { ...database.db, query: ((sql: string, params?: unknown[]) => {
        if (sql.includes('SET lease_owner = $1')) looks++;
        return database.db.query(sql, params);
      }) as typeof database.db.query };
      const idle = testJob('test.idle');
      const q = await startTestQueue(db, [handle(idle, async () => {})]);
      queues.push(q);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(looks, 1, 'one look at start, then asleep until a NOTIFY or the poll');
      assert.equal(await msUntilNextJob(database.db, ['test.idle']), null, 'nothing waits: no next job');
      await database.db.transaction((tx) => q.enqueue(tx, idle.of({ n: 1 }, { runAt: new Date(Date.now() + 60_000) })));
      const ms = await msUntilNextJob(database.db, ['test.idle']);
      assert.ok(ms !== null && ms > 50_000 && ms <= 60_000, `a job due in a minute is ${ms} ms away`);
      await database.db.query("DELETE FROM jobs WHERE kind = 'test.idle'"); // the next tests start from an empty queue
    });

    test('a lost LISTEN connection is re-opened: a job queued while it was down runs once it is back, and NOTIFY wakes the pool again', { skip: backend.name === 'pglite' && 'PGlite has no separate LISTEN connection to lose' }, async () => {
      const relisten = testJob('test.relisten');
      const seen: number[] = [];
      const q = await start([handle(relisten, async (job) => { seen.push(job.payload.n); })]);
      await new Promise((r) => setTimeout(r, 200));
      const listeners = async () => (await database.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'firebreak-listen' AND datname = current_database()")).rows[0]!.n;
      const before = await listeners();
      assert.equal(before, queues.length, 'one LISTEN connection per queue');
      await database.db.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'firebreak-listen' AND datname = current_database()");
      // Re-opening waits a second, so there is a moment when nobody listens: this job's NOTIFY is lost.
      await waitUntil('every LISTEN connection to be gone', async () => (await listeners()) === 0);
      await database.db.transaction((tx) => q.enqueue(tx, relisten.of({ n: 1 })));
      await waitUntil('the job queued meanwhile to run (the poll is a minute away)', () => seen.length === 1);
      assert.equal(await listeners(), before, 'every LISTEN connection is back');
      await database.db.transaction((tx) => q.enqueue(tx, relisten.of({ n: 2 })));
      await waitUntil('the next job to run on its NOTIFY', () => seen.length === 2);
      assert.deepEqual(seen, [1, 2]);
    });

    test('failures are retried with backoff, the error kept meanwhile; success ends the job', async () => {
      const flaky = testJob('test.flaky');
      let runs = 0;
      const q = await start([handle(flaky, async () => {
        runs++;
        if (runs < 3) throw new Error(`flaky ${runs}`);
      })]);
      await database.db.transaction((tx) => q.enqueue(tx, flaky.of({ n: 1 })));
      await waitUntil('three runs', () => runs === 3);
      await waitUntil('the job to be done', async () => (await jobs()).at(-1)?.state === 'done');
      assert.deepEqual((await jobs()).at(-1), { kind: 'test.flaky', attempts: 3, last_error: 'flaky 2', state: 'done' });
    });

    test('a permanent error fails the job at once; the last allowed attempt fails it too; both are kept with their error', async () => {
      const permanent = testJob('test.permanent');
      const always = testJob('test.always', { attempts: 3 });
      const q = await start([
        handle(permanent, async () => { throw new FirebreakError(ErrorCode.SlackRefused, 'Slack chat.postMessage: invalid_blocks'); }),
        handle(always, async () => { throw new Error('still broken'); }),
      ]);
      await database.db.transaction((tx) => q.enqueue(tx, permanent.of({ n: 1 }), always.of({ n: 2 })));
      await waitUntil('both to fail', async () => (await jobs()).filter((j) => j.state === 'failed').length === 2);
      assert.deepEqual((await jobs()).filter((j) => j.state === 'failed'), [
        { kind: 'test.permanent', attempts: 1, last_error: 'Slack chat.postMessage: invalid_blocks', state: 'failed' },
        { kind: 'test.always', attempts: 3, last_error: 'still broken', state: 'failed' },
      ]);
      await database.db.query('DELETE FROM jobs');
    });

    test('a postponed job runs again later without using up an attempt', async () => {
      const later = testJob('test.later');
      let runs = 0;
      const q = await start([handle(later, async (job) => {
        runs++;
        assert.equal(job.attempts, 1, 'postponing uses up no attempt');
        return runs < 3 ? { postponeMs: 20 } : undefined;
      })], { pollMs: 50 });
      await database.db.transaction((tx) => q.enqueue(tx, later.of({ n: 1 })));
      await waitUntil('three runs', () => runs === 3);
    });

    test('a rate limit (an error that says when to come back) uses up no attempt: 40 of them, then success, on a job of 3 attempts', async () => {
      const limited = testJob('test.limited', { attempts: 3 });
      const seen: number[] = [];
      const q = await start([handle(limited, async (job) => {
        seen.push(job.attempts);
        if (seen.length <= 40) throw new FirebreakError(ErrorCode.SlackRateLimited, 'Slack chat.postMessage: rate limited for 0 s', { retryAfterMs: 1 });
      })], { pollMs: 50 });
      await database.db.transaction((tx) => q.enqueue(tx, limited.of({ n: 1 })));
      await waitUntil('41 runs', () => seen.length === 41, 15_000);
      assert.ok(seen.every((a) => a === 1), `every run was attempt 1: ${seen.join(',')}`);
      await waitUntil('the job to be done', async () => (await jobs()).at(-1)?.state === 'done');
    });

    test('a job whose handler says to persist keeps retrying after its last attempt; once it may not, it fails', async () => {
      const stubborn = testJob('test.persist', { attempts: 2 });
      let open = true;
      let runs = 0;
      const q = await start([handle(stubborn, async () => {
        runs++;
        throw new Error('Slack chat.postMessage: HTTP 500');
      }, { persist: async () => open })]);
      await database.db.transaction((tx) => q.enqueue(tx, stubborn.of({ n: 1 })));
      await waitUntil('10 runs, 5 times its attempts', () => runs >= 10);
      assert.deepEqual((await jobs()).filter((j) => j.kind === 'test.persist').map((j) => j.state), ['open']);
      open = false;
      await waitUntil('the job to fail', async () => (await jobs()).some((j) => j.kind === 'test.persist' && j.state === 'failed'));
      await database.db.query('DELETE FROM jobs');
    });

    test('a job whose worker died (lease ran out) is taken over', async () => {
      const orphan = testJob('test.orphan');
      const seen: number[] = [];
      await database.db.query(
        `INSERT INTO jobs (kind, payload, lease_owner, lease_token, lease_until, attempts)
         VALUES ('test.orphan', '{"n": 1}', 'worker-dead', gen_random_uuid(), now() - interval '1 second', 1)`);
      await start([handle(orphan, async (job) => { seen.push(job.attempts); })], { pollMs: 50 });
      await waitUntil('the orphan to run', () => seen.length === 1);
      assert.deepEqual(seen, [2]);
    });

    test('several queues share the table: each of 60 jobs runs exactly once', async () => {
      const shared = testJob('test.shared');
      const runs = new Map<number, number>();
      const bind = () => handle(shared, async (job) => {
        runs.set(job.payload.n, (runs.get(job.payload.n) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
      });
      const [q] = await Promise.all([1, 2, 3].map(() => start([bind()])));
      await database.db.transaction((tx) => q!.enqueue(tx, ...Array.from({ length: 60 }, (_, n) => shared.of({ n }))));
      await waitUntil('all 60', () => runs.size === 60);
      await waitUntil('the queue to empty', async () => (await open()).length === 0);
      assert.ok([...runs.values()].every((c) => c === 1), JSON.stringify([...runs]));
    });

    test('coalescing: while a job with a key waits, the same key adds nothing; once it runs, a change queues one more', async () => {
      const coalesce = testJob('test.coalesce');
      let release!: () => void;
      const gate = new Promise<void>((r) => { release = r; });
      let runs = 0;
      const q = await start([handle(coalesce, async () => { runs++; if (runs === 1) await gate; })], { pollMs: 50 });
      const enqueue = () => database.db.transaction((tx) => q.enqueue(tx, coalesce.of({ n: 1, key: 'card:1' })));
      await enqueue();
      await waitUntil('the first run', () => runs === 1);
      for (let i = 0; i < 5; i++) await enqueue(); // while the first runs: one waiting job, not five
      assert.equal((await open()).length, 2);
      release();
      await waitUntil('the second run', () => runs === 2);
      await waitUntil('the queue to empty', async () => (await open()).length === 0);
      assert.equal(runs, 2);
    });
  });
}
