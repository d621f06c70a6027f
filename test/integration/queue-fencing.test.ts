import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCode, FirebreakError } from '../../src/lib/errors.js';
import { handle } from '../../src/queue/job.js';
import { claimJobs, completeJob } from '../../src/queue/jobs-sql.js';
import type { Queue } from '../../src/queue/queue.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { startTestQueue, testJob, waitUntil } from '../support/queue.js';

const isLeaseLost = (err: unknown) => err instanceof FirebreakError && err.code === ErrorCode.JobLeaseLost;

for (const backend of backends()) {
  describe(`fenced job attempts (${backend.name})`, () => {
    let database: TestDatabase;
    const queues: Queue[] = [];
    const db = () => database.db;
    const notes = async () => (await db().query<{ note: string }>('SELECT note FROM fence_notes ORDER BY id')).rows.map((r) => r.note);
    // What "another worker" does when a stall outlasted the lease: the lease has run out, and it claims the job.
    const takeOver = (kind: string) => db().transaction(async (tx) => {
      await tx.query(`UPDATE jobs SET lease_until = now() - interval '1 second' WHERE kind = $1 AND done_at IS NULL`, [kind]);
      return (await claimJobs(tx, 'worker-b', [kind], 60_000, 1))[0]!;
    });

    before(async () => {
      database = await backend.create();
      await db().query('CREATE TABLE fence_notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text NOT NULL)');
    });
    after(async () => {
      await Promise.all(queues.map((q) => q.stop()));
      await database.close();
    });

    test('a worker whose lease was taken over writes nothing: its transaction is refused, its outcome is not recorded, the new holder finishes', async () => {
      const fenced = testJob('test.fenced');
      let proceed!: () => void;
      const stalled = new Promise<void>((r) => { proceed = r; });
      let refused: unknown;
      let started = false;
      const q = await startTestQueue(db(), [handle(fenced, async (job) => {
        started = true;
        await stalled;
        try {
          await job.transaction((tx) => tx.query("INSERT INTO fence_notes (note) VALUES ('stale result')"));
        } catch (err) {
          refused = err;
          throw err;
        }
      })]);
      queues.push(q);
      await db().transaction((tx) => q.enqueue(tx, fenced.of({ n: 1 })));
      await waitUntil('the first attempt to start', () => started);
      const b = await takeOver('test.fenced');
      assert.equal(b.attempts, 2);
      proceed();
      await waitUntil('the stale attempt to try its write', () => refused !== undefined);
      assert.ok(isLeaseLost(refused), String(refused));
      assert.deepEqual(await notes(), [], 'nothing of the stale transaction is kept');
      const { rows } = await db().query<{ done: boolean; token: string }>('SELECT done_at IS NOT NULL AS done, lease_token AS token FROM jobs WHERE id = $1', [b.id]);
      assert.deepEqual(rows[0], { done: false, token: b.token }, 'the stale attempt recorded no outcome: the job is still the new holder\'s');
      assert.equal(await completeJob(db(), b), true, 'the new holder finishes it');
    });

    test('a lost lease aborts the running job\'s signal at the next renewal', async () => {
      const long = testJob('test.long');
      let signal: AbortSignal | undefined;
      const q = await startTestQueue(db(), [handle(long, async (job) => {
        signal = job.signal;
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
      })], { leaseMs: 600 });
      queues.push(q);
      await db().transaction((tx) => q.enqueue(tx, long.of({ n: 1 })));
      await waitUntil('the job to run', () => signal !== undefined);
      const b = await takeOver('test.long');
      await waitUntil('the signal to abort (renewals are every 200 ms)', () => signal!.aborted, 3_000);
      assert.ok(isLeaseLost(signal!.reason));
      await completeJob(db(), b);
    });

    test('stopping: running jobs get the grace period, then their signal aborts and they are queued again without using up an attempt', async () => {
      const stubborn = testJob('test.stubborn');
      let runs = 0;
      const q = await startTestQueue(db(), [handle(stubborn, async (job) => {
        runs++;
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
        throw job.signal.reason;
      })], { shutdownGraceMs: 200 });
      await db().transaction((tx) => q.enqueue(tx, stubborn.of({ n: 1 })));
      await waitUntil('the job to run', () => runs === 1);
      const t0 = Date.now();
      await q.stop();
      assert.ok(Date.now() - t0 < 2_000, 'stop() waited for the grace period only');
      const { rows } = await db().query<{ attempts: number; leased: boolean; open: boolean; error: string }>(
        `SELECT attempts, lease_owner IS NOT NULL AS leased, done_at IS NULL AND failed_at IS NULL AS open, last_error AS error
           FROM jobs WHERE kind = 'test.stubborn'`);
      assert.equal(rows[0]!.attempts, 0);
      assert.equal(rows[0]!.leased, false);
      assert.equal(rows[0]!.open, true);
      assert.match(rows[0]!.error, /^interrupted: firebreak stopped while it ran/);
      const again = await startTestQueue(db(), [handle(stubborn, async () => { runs++; })]);
      queues.push(again);
      await waitUntil('the next process to run it', () => runs === 2);
    });

    test('a transaction of a job is retried when the database is briefly unreachable, and commits once', async () => {
      const blip = testJob('test.blip');
      let tries = 0;
      let finished = false;
      const q = await startTestQueue(db(), [handle(blip, async (job) => {
        await job.transaction(async (tx) => {
          await tx.query("INSERT INTO fence_notes (note) VALUES ('result')");
          tries++;
          // The connection drops at commit time, as it would in a failover.
          if (tries === 1) throw new FirebreakError(ErrorCode.DatabaseUnavailable, 'database unavailable: Connection terminated unexpectedly', { retryable: true });
        });
        finished = true;
      })]);
      queues.push(q);
      await db().query('DELETE FROM fence_notes');
      await db().transaction((tx) => q.enqueue(tx, blip.of({ n: 1 })));
      await waitUntil('the job to finish', () => finished);
      assert.equal(tries, 2);
      assert.deepEqual(await notes(), ['result'], 'the failed try left nothing; the second committed once');
      const { rows } = await db().query<{ attempts: number }>("SELECT attempts FROM jobs WHERE kind = 'test.blip'");
      assert.equal(rows[0]!.attempts, 1, 'one attempt of the job: the transaction was retried in process');
    });
  });
}
