import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../src/lib/errors.js';
import { PLAYBOOK_STEP } from '../../src/runner/jobs.js';
import { listJobs, pruneJobs, retryFailedJob } from '../../src/queue/inspect-sql.js';
import { defineJob, handle } from '../../src/queue/job.js';
import { JOBS_CHANNEL } from '../../src/queue/jobs-sql.js';
import type { Queue } from '../../src/queue/queue.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { startTestQueue, testJob, waitUntil } from '../support/queue.js';

const count = async (db: TestDatabase['db']) => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs')).rows[0]!.n;

for (const backend of backends()) {
  describe(`the job queue's types, pools and housekeeping (${backend.name})`, () => {
    let database: TestDatabase;
    const queues: Queue[] = [];
    const db = () => database.db;
    const start = async (...args: Parameters<typeof startTestQueue> extends [unknown, ...infer R] ? R : never) => {
      const q = await startTestQueue(db(), ...args);
      queues.push(q);
      return q;
    };

    before(async () => {
      database = await backend.create();
    });
    after(async () => {
      await Promise.all(queues.map((q) => q.stop()));
      await database.close();
    });

    test('a payload its schema refuses is refused at enqueue, naming the job and the field; nothing of the transaction is kept', async () => {
      const q = await start([handle(PLAYBOOK_STEP, async () => {})], { concurrency: { steps: 0, notify: 0, internal: 0 } });
      const bad = PLAYBOOK_STEP.of({ incidentId: 1, stepRunId: '7' as unknown as number });
      await assert.rejects(db().transaction(async (tx) => {
        await tx.query(`INSERT INTO jobs (kind) VALUES ('test.sibling')`);
        await q.enqueue(tx, bad);
      }), (err: Error) => {
        assert.ok(err instanceof FirebreakError && err.code === ErrorCode.JobInvalid);
        assert.equal(err.message, 'job playbook.step: the payload is refused: payload.stepRunId: Invalid input: expected number, received string');
        return true;
      });
      await assert.rejects(db().transaction((tx) => q.enqueue(tx, PLAYBOOK_STEP.of({} as never))),
        /^FirebreakError: job playbook.step: the payload is refused: payload.incidentId: Invalid input: expected number, received undefined; payload.stepRunId: /);
      assert.equal(await count(db()), 0);
    });

    test('a job of an integration with no handler here is not queued; a job nothing handles is refused; one handled is typed', async () => {
      const chat = defineJob({ kind: 'test.chat', schema: z.object({ text: z.string() }), pool: 'notify', needs: 'chat' });
      const orphan = testJob('test.unhandled');
      const seen: string[] = [];
      const typed = defineJob({ kind: 'test.typed', schema: z.object({ text: z.string().transform((t) => t.toUpperCase()) }), pool: 'internal' });
      const q = await start([handle(typed, async (job) => { seen.push(job.payload.text); })]);
      await db().transaction((tx) => q.enqueue(tx, chat.of({ text: 'nobody reads this' })));
      assert.equal(await count(db()), 0, 'Slack is off here: its job is not even written');
      await assert.rejects(db().transaction((tx) => q.enqueue(tx, orphan.of({ n: 1 }))), /^FirebreakError: job test.unhandled: nothing in this process handles it$/);
      await db().transaction((tx) => q.enqueue(tx, typed.of({ text: 'hello' })));
      await waitUntil('the typed job to run', () => seen.length === 1);
      assert.deepEqual(seen, ['HELLO'], 'the handler reads the payload as the schema parsed it');
      // A row written by something else (an older version, a hand-made INSERT) is checked when claimed.
      await db().query(`WITH j AS (INSERT INTO jobs (kind, payload) VALUES ('test.typed', '{"text": 7}') RETURNING kind)
                        SELECT pg_notify('${JOBS_CHANNEL}', kind) FROM j`);
      await waitUntil('the bad row to fail', async () => (await listJobs(db(), { state: 'failed', limit: 1 })).length === 1);
      assert.equal((await listJobs(db(), { state: 'failed', limit: 1 }))[0]!.lastError,
        'job test.typed: the stored payload is refused: payload.text: Invalid input: expected string, received number');
      assert.deepEqual(seen, ['HELLO'], 'its handler never saw it');
      await db().query('DELETE FROM jobs');
    });

    test('pools: a steps pool whose every slot is taken does not hold a notify job', async () => {
      const step = testJob('test.step', { pool: 'steps' });
      const notify = testJob('test.notify', { pool: 'notify' });
      let release!: () => void;
      const held = new Promise<void>((r) => { release = r; });
      let steps = 0;
      let notified = 0;
      const q = await start([
        handle(step, async () => { steps++; await held; }),
        handle(notify, async () => { notified++; }),
      ], { concurrency: { steps: 3, notify: 1, internal: 1 } });
      await db().transaction((tx) => q.enqueue(tx, ...[1, 2, 3, 4].map((n) => step.of({ n }))));
      await waitUntil('three steps to run (the pool\'s concurrency)', () => steps === 3);
      await db().transaction((tx) => q.enqueue(tx, notify.of({ n: 1 })));
      await waitUntil('the notify job to run while every step slot is taken', () => notified === 1, 2_000);
      assert.equal(steps, 3, 'the fourth step waits for a slot');
      release();
      await waitUntil('the fourth step', () => steps === 4);
      await db().query('DELETE FROM jobs');
    });

    test('metrics: jobs by pool, kind and state, and the oldest due job\'s age, read from the database; each pool\'s concurrency', async () => {
      const failing = testJob('test.failing', { pool: 'notify' });
      const sleepy = testJob('test.sleepy', { pool: 'steps' });
      const q = await start([
        handle(failing, async () => { throw new FirebreakError(ErrorCode.SlackRefused, 'invalid_blocks'); }),
        handle(sleepy, async () => {}),
      ], { concurrency: { steps: 0, notify: 2, internal: 1 } });
      await db().transaction((tx) => q.enqueue(tx, failing.of({ n: 1 }), sleepy.of({ n: 2 }), sleepy.of({ n: 3 }, { runAt: new Date(Date.now() + 60_000) })));
      await db().query(`UPDATE jobs SET run_at = now() - interval '90 seconds' WHERE kind = 'test.sleepy' AND run_at <= now()`);
      await waitUntil('the failing job to fail', async () => (await listJobs(db(), { state: 'failed', limit: 10 })).length === 1);
      const text = await q.registry.metrics();
      const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
      assert.equal(value('firebreak_jobs{pool="notify",kind="test.failing",state="failed"}'), 1);
      assert.equal(value('firebreak_jobs{pool="steps",kind="test.sleepy",state="due"}'), 1);
      assert.equal(value('firebreak_jobs{pool="steps",kind="test.sleepy",state="waiting"}'), 1);
      assert.equal(value('firebreak_jobs{pool="steps",kind="test.sleepy",state="running"}'), 0);
      const oldest = value('firebreak_jobs_oldest_due_seconds{pool="steps"}');
      assert.ok(oldest >= 89 && oldest < 120, `the due step job waits for ${oldest} s`);
      assert.equal(value('firebreak_jobs_oldest_due_seconds{pool="notify"}'), 0);
      assert.equal(value('firebreak_job_pool_concurrency{pool="notify"}'), 2);
      assert.equal(value('firebreak_job_pool_concurrency{pool="steps"}'), 0);
      assert.equal(value('firebreak_job_runs_total{pool="notify",kind="test.failing",outcome="failed"}'), 1);
      await db().query('DELETE FROM jobs');
    });

    test('failed jobs are listed and can be queued again; a retry a waiting job covers is marked done; old ones are pruned', async () => {
      const flaky = testJob('test.retry', { attempts: 1 });
      let ok = false;
      const runs: number[] = [];
      const q = await start([handle(flaky, async (job) => {
        runs.push(job.payload.n);
        if (!ok) throw new Error('Slack chat.postMessage: HTTP 500');
      })]);
      await db().transaction((tx) => q.enqueue(tx, flaky.of({ n: 1 }), flaky.of({ n: 2, key: 'k' })));
      await waitUntil('both to fail', async () => (await listJobs(db(), { state: 'failed', limit: 10 })).length === 2);
      const failed = await listJobs(db(), { state: 'failed', kind: 'test.retry', limit: 10 });
      assert.deepEqual(failed.map((j) => [j.payload, j.attempts, j.lastError]), [
        [{ n: 2, key: 'k' }, 1, 'Slack chat.postMessage: HTTP 500'], [{ n: 1 }, 1, 'Slack chat.postMessage: HTTP 500'],
      ]);
      assert.deepEqual((await listJobs(db(), { state: 'failed', limit: 1, beforeId: failed[0]!.id })).map((j) => j.id), [failed[1]!.id], 'pages on');
      ok = true;
      assert.equal(await retryFailedJob(db(), failed[1]!.id), 'queued');
      await waitUntil('the retried job to be done', async () => (await listJobs(db(), { state: 'done', limit: 10 })).length === 1);
      // A newer job with key k waits (its run is a minute away): it will do what the failed one did.
      await db().transaction((tx) => q.enqueue(tx, flaky.of({ n: 3, key: 'k' }, { runAt: new Date(Date.now() + 60_000) })));
      assert.equal(await retryFailedJob(db(), failed[0]!.id), 'covered');
      assert.equal(await retryFailedJob(db(), failed[0]!.id), 'not_failed');
      assert.equal(await retryFailedJob(db(), 9_999_999), 'not_found');
      assert.deepEqual((await listJobs(db(), { state: 'waiting', limit: 10 })).map((j) => j.payload), [{ n: 3, key: 'k' }]);
      assert.deepEqual(runs, [1, 2, 1]);

      await db().query(`UPDATE jobs SET done_at = now() - interval '2 hours' WHERE done_at IS NOT NULL`);
      assert.equal(await pruneJobs(db(), 3 * 3_600_000, 3_600_000), 0, 'done two hours ago, kept for three');
      assert.equal(await pruneJobs(db(), 3_600_000, 3_600_000, 1), 2, 'kept for one: both go, one per batch');
      assert.equal(await count(db()), 1, 'the waiting job stays');
    });
  });
}
