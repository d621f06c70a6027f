import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openDatabase } from '../../src/db/open.js';
import { createLogger } from '../../src/lib/logger.js';
import { TOKEN } from '../support/app.js';
import { backends } from '../support/databases.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { runCli } from '../support/process.js';
import { eventually } from '../support/wait.js';

// Each step appends its mark to a file, so the file tells how many times each step really ran.
const mark = (tag: string, after = '') =>
  `[${JSON.stringify(process.execPath)}, -e, "require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n')${after}", "{{ alert.labels.file }}", ${tag}]`;
const slowTail = (tag: string) => `; setTimeout(() => require('fs').appendFileSync(process.argv[1], '${tag}\\\\n'), 4000)`;

const PLAYBOOKS = {
  'crashy.yml': `name: crashy
match: ['alertname="CrashTest"']
steps:
  - id: first
    action: exec
    with: { argv: ${mark('first')} }
  - id: slow
    action: exec
    with: { argv: ${mark('slow-start', slowTail('slow-end'))} }
  - id: never
    action: exec
    with: { argv: ${mark('never')} }
`,
  'resumable.yml': `name: resumable
match: ['alertname="CrashTest"']
steps:
  - id: a
    action: exec
    with: { argv: ${mark('a')} }
  - id: b
    action: exec
    idempotent: true
    with: { argv: ${mark('b-start', slowTail('b-end'))} }
  - id: c
    action: exec
    with: { argv: ${mark('c')} }
`,
};

for (const backend of backends()) {
  describe(`a crash in the middle of a playbook (${backend.name})`, () => {
    test('kill -9 and restart: finished steps are not re-run, idempotent ones resume, the others need attention', async () => {
      const work = await mkdtemp(join(tmpdir(), 'fb-crash-'));
      const marks = join(work, 'marks.txt');
      const database = backend.name === 'postgres' ? await backend.create() : undefined;
      const env = {
        PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: join(work, 'data'),
        PLAYBOOKS_DIR: playbookDir(PLAYBOOKS), EXEC_ALLOWLIST: process.execPath, JOB_LEASE_SECONDS: '2',
        ...(database ? { DATABASE_URL: database.url! } : {}),
      };
      const lines = async () => (await readFile(marks, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      const times = async (tag: string) => (await lines()).filter((l) => l === tag).length;
      try {
        const first = runCli(['start'], env);
        const url = await first.listening;
        const res = await fetch(`${url}/webhooks/alertmanager`, {
          method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
          body: alertBody({ alertname: 'CrashTest', file: marks }),
        });
        assert.equal(res.status, 200);
        await eventually('both slow steps started', async () => (await times('slow-start')) === 1 && (await times('b-start')) === 1);
        first.child.kill('SIGKILL');
        await first.exited;

        const second = runCli(['start'], env);
        await second.listening;
        await eventually('the resumable run finished', async () => (await times('c')) === 1, 30_000);
        // The non-idempotent step is held, not re-run: give its takeover time to happen, then look.
        await new Promise((r) => setTimeout(r, 3000));
        second.child.kill('SIGTERM');
        assert.equal(await second.exited, 0);

        assert.equal(await times('first'), 1, 'a finished step is not re-run');
        assert.equal(await times('a'), 1);
        assert.equal(await times('slow-start'), 1, 'an interrupted non-idempotent step is not re-run');
        assert.equal(await times('never'), 0, 'a run waiting for attention goes no further');
        assert.equal(await times('b-start'), 2, 'an interrupted idempotent step runs again');
        assert.equal(await times('c'), 1);

        const db = await openDatabase(database ? { kind: 'postgres', url: database.url! } : { kind: 'pglite', dataDir: env.FIREBREAK_DATA_DIR }, createLogger('silent'));
        try {
          const { rows } = await db.query<{ playbook: string; step_id: string; status: string; attempts: number }>(
            `SELECT r.playbook, s.step_id, s.status, s.attempts FROM step_runs s JOIN playbook_runs r ON r.id = s.run_id ORDER BY r.playbook, s.position`);
          assert.deepEqual(rows.map((r) => `${r.playbook}/${r.step_id}:${r.status}:${r.attempts}`), [
            'crashy/first:succeeded:1', 'crashy/slow:needs_attention:1', 'crashy/never:pending:0',
            'resumable/a:succeeded:1', 'resumable/b:succeeded:2', 'resumable/c:succeeded:1',
          ]);
          const { rows: events } = await db.query<{ kind: string }>(`SELECT kind FROM timeline_events WHERE kind = 'step.needs_attention'`);
          assert.equal(events.length, 1);
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
