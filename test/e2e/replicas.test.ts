import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Db } from '../../src/db/db.js';
import { openDatabase } from '../../src/db/open.js';
import { createLogger } from '../../src/lib/logger.js';
import { TOKEN } from '../support/app.js';
import { backends, NEEDS_POSTGRES, postgresBackend } from '../support/databases.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { runCli } from '../support/process.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { eventually } from '../support/wait.js';

// Each step appends its mark to a file, so the file tells how many times each step really ran.
const mark = (tag: string, after = '') =>
  `[${JSON.stringify(process.execPath)}, -e, "require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n')${after}", "{{ alert.labels.file }}", ${tag}]`;
const slowTail = (tag: string) => `; setTimeout(() => require('fs').appendFileSync(process.argv[1], '${tag}\\\\n'), 6000)`;

// A non-idempotent slow step (interrupted: a person decides) and an idempotent one (interrupted: run again).
const PLAYBOOKS = {
  'once.yml': `name: once
match: ['alertname="ReplicaTest"']
steps:
  - id: slow
    action: exec
    with: { argv: ${mark('once-start', slowTail('once-end'))} }
  - id: after
    action: exec
    with: { argv: ${mark('once-after')} }
`,
  'again.yml': `name: again
match: ['alertname="ReplicaTest"']
steps:
  - id: slow
    action: exec
    idempotent: true
    with: { argv: ${mark('again-start', slowTail('again-end'))} }
  - id: last
    action: exec
    with: { argv: ${mark('again-last')} }
`,
};

const send = (url: string, body: string) =>
  fetch(`${url}/webhooks/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });

async function steps(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ playbook: string; step_id: string; status: string }>(
    `SELECT r.playbook, s.step_id, s.status FROM step_runs s JOIN playbook_runs r ON r.id = s.run_id ORDER BY r.playbook, s.position`);
  return rows.map((r) => `${r.playbook}/${r.step_id}:${r.status}`);
}

const FINAL = ['again/slow:succeeded', 'again/last:succeeded', 'once/slow:needs_attention', 'once/after:pending'];

describe('two firebreak processes on one Postgres, one killed with SIGKILL in a storm and a playbook', () => {
  test('no alert is lost, no non-idempotent step runs twice, the survivor finishes the runs', { skip: NEEDS_POSTGRES }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'fb-replicas-'));
    const marks = join(work, 'marks.txt');
    const database = await postgresBackend()!.create();
    const env = {
      PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, DATABASE_URL: database.url!,
      PLAYBOOKS_DIR: playbookDir(PLAYBOOKS), EXEC_ALLOWLIST: process.execPath, JOB_LEASE_SECONDS: '2',
    };
    const times = async (tag: string) => (await readFile(marks, 'utf8').catch(() => '')).split('\n').filter((l) => l === tag).length;
    const a = runCli(['start'], env);
    let b: ReturnType<typeof runCli> | undefined;
    try {
      const urlA = await a.listening;
      // The playbooks start on A, the only process so far: its steps are the ones the kill interrupts.
      assert.equal((await send(urlA, alertBody({ alertname: 'ReplicaTest', file: marks }))).status, 200);
      await eventually('both slow steps running on A', async () => (await times('once-start')) === 1 && (await times('again-start')) === 1, 20_000);
      b = runCli(['start'], env);
      const urlB = await b.listening;

      // The storm: 150 groups (150 incidents), sent to both replicas, as two Alertmanagers would; a
      // delivery that fails (A killed) is sent again to the other, as Alertmanager retries.
      const bodies = Array.from({ length: 150 }, (_, i) => alertBody({ alertname: 'StormTest', shard: String(i) }));
      let sent = 0;
      let killed = false;
      const deliver = async (body: string, i: number) => {
        const first = i % 2 === 0 && !killed ? urlA : urlB;
        const res = await send(first, body).catch(() => undefined);
        if (res?.status !== 200) assert.equal((await send(urlB, body)).status, 200, 'the retry to the survivor is taken');
        if (++sent === 40) {
          killed = true;
          a.child.kill('SIGKILL');
        }
      };
      for (let i = 0; i < bodies.length; i += 10) await Promise.all(bodies.slice(i, i + 10).map((body, k) => deliver(body, i + k)));
      assert.equal(await a.exited, null, 'A was killed');

      const db = await openDatabase({ kind: 'postgres', url: database.url! }, createLogger('silent'));
      try {
        await eventually('the survivor to finish the runs', async () => (await steps(db)).join() === FINAL.join(), 40_000);
        const { rows } = await db.query<{ incidents: number; alerts: number }>(
          `SELECT count(DISTINCT i.id)::int AS incidents, count(a.*)::int AS alerts
             FROM incidents i JOIN alerts a ON a.incident_id = i.id WHERE i.title LIKE 'StormTest%'`);
        assert.deepEqual(rows[0], { incidents: 150, alerts: 150 }, 'every alert of the storm is stored, each once');
      } finally {
        await db.close();
      }
      // The survivor runs what is left; the non-idempotent step is left to a person, not run again.
      await new Promise((r) => setTimeout(r, 3_000));
      assert.equal(await times('once-start'), 1, 'the interrupted non-idempotent step is not run again');
      assert.equal(await times('once-after'), 0);
      assert.equal(await times('again-start'), 2, 'the interrupted idempotent step runs again, on the survivor');
      assert.equal(await times('again-last'), 1);
      b.child.kill('SIGTERM');
      assert.equal(await b.exited, 0);
    } finally {
      a.child.kill('SIGKILL');
      b?.child.kill('SIGKILL');
      await rm(work, { recursive: true, force: true });
      await database.close();
    }
  });
});

for (const backend of backends()) {
  describe(`SIGTERM in the middle of a playbook: shutdown within SHUTDOWN_GRACE_SECONDS (${backend.name})`, () => {
    test('running steps are stopped at the deadline and queued again; the next process resumes or holds them', async () => {
      const work = await mkdtemp(join(tmpdir(), 'fb-shutdown-'));
      const marks = join(work, 'marks.txt');
      const database = backend.name === 'postgres' ? await backend.create() : undefined;
      const env = {
        PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: join(work, 'data'),
        PLAYBOOKS_DIR: playbookDir(PLAYBOOKS), EXEC_ALLOWLIST: process.execPath, JOB_LEASE_SECONDS: '30', SHUTDOWN_GRACE_SECONDS: '1',
        ...(database ? { DATABASE_URL: database.url! } : {}),
      };
      const times = async (tag: string) => (await readFile(marks, 'utf8').catch(() => '')).split('\n').filter((l) => l === tag).length;
      const dbConfig = database ? { kind: 'postgres' as const, url: database.url! } : { kind: 'pglite' as const, dataDir: env.FIREBREAK_DATA_DIR };
      try {
        const first = runCli(['start'], env);
        const url = await first.listening;
        assert.equal((await send(url, alertBody({ alertname: 'ReplicaTest', file: marks }))).status, 200);
        await eventually('both slow steps running', async () => (await times('once-start')) === 1 && (await times('again-start')) === 1, 20_000);
        first.child.kill('SIGTERM');
        assert.equal(await first.exited, 0, 'a clean stop, not a forced one');
        assert.match(first.stdout(), /"msg":"job interrupted by shutdown; queued again"/);
        assert.doesNotMatch(first.stdout(), /shutdown did not finish/);
        assert.equal(await times('once-end'), 0, 'the step was stopped at the deadline, not waited for');

        // The leases were given back (JOB_LEASE_SECONDS is 30: a lease left behind would hold the steps that long).
        let db = await openDatabase(dbConfig, createLogger('silent'));
        try {
          const { rows } = await db.query<{ kind: string; leased: boolean; last_error: string }>(
            `SELECT kind, lease_token IS NOT NULL AS leased, last_error FROM jobs WHERE kind = 'playbook.step' AND done_at IS NULL ORDER BY id`);
          assert.equal(rows.length, 2);
          for (const r of rows) {
            assert.equal(r.leased, false);
            assert.match(r.last_error, /^interrupted: firebreak stopped while it ran/);
          }
        } finally {
          await db.close();
        }

        const second = runCli(['start'], env);
        await second.listening;
        await eventually('the next process to finish', async () => (await times('again-last')) === 1, 30_000);
        await new Promise((r) => setTimeout(r, 2_000));
        second.child.kill('SIGTERM');
        assert.equal(await second.exited, 0);
        assert.equal(await times('once-start'), 1, 'the non-idempotent step is not run again');
        assert.equal(await times('again-start'), 2);
        db = await openDatabase(dbConfig, createLogger('silent'));
        try {
          assert.deepEqual(await steps(db), FINAL);
        } finally {
          await db.close();
        }
      } finally {
        await rm(work, { recursive: true, force: true });
        await database?.close();
      }
    });
  });
}

describe('a shutdown that cannot finish is bounded', () => {
  test('the database gone while interrupted steps are recorded: firebreak exits after the grace and its margin', { skip: NEEDS_POSTGRES }, async () => {
    const work = await mkdtemp(join(tmpdir(), 'fb-bound-'));
    const marks = join(work, 'marks.txt');
    const database = await postgresBackend()!.create();
    const url = new URL(database.url!);
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    const env = {
      PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, DATABASE_URL: url.toString(),
      PLAYBOOKS_DIR: playbookDir(PLAYBOOKS), EXEC_ALLOWLIST: process.execPath, SHUTDOWN_GRACE_SECONDS: '1',
    };
    const times = async (tag: string) => (await readFile(marks, 'utf8').catch(() => '')).split('\n').filter((l) => l === tag).length;
    const app = runCli(['start'], env);
    try {
      const listening = await app.listening;
      assert.equal((await send(listening, alertBody({ alertname: 'ReplicaTest', file: marks }))).status, 200);
      await eventually('both slow steps running', async () => (await times('once-start')) === 1 && (await times('again-start')) === 1, 20_000);
      proxy.down();
      app.child.kill('SIGTERM');
      // Recording the interrupted steps would retry for about a minute: the bound (1 s + 10 s) ends it first.
      assert.equal(await app.exited, 1);
      assert.match(app.stdout(), /"msg":"shutdown did not finish within SHUTDOWN_GRACE_SECONDS and its margin: exiting; unfinished jobs are taken over once their lease runs out"/);
    } finally {
      app.child.kill('SIGKILL');
      await proxy.close();
      await rm(work, { recursive: true, force: true });
      await database.close();
    }
  });
});
