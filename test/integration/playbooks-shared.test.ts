import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createPgDb } from '../../src/db/pg.js';
import { createLogger } from '../../src/lib/logger.js';
import { metricValue, startTestApp } from '../support/app.js';
import { NEEDS_POSTGRES, postgresBackend } from '../support/databases.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { eventually } from '../support/wait.js';

const STEPS = 5;
const INCIDENTS = 8;
const step = (n: number) => `  - id: s${n}
    action: exec
    with: { argv: [${JSON.stringify(process.execPath)}, -e, "require('fs').appendFileSync(process.argv[1], process.argv[2] + '\\\\n')", "{{ alert.labels.file }}", "{{ incident.ref }}-s${n}"] }
`;

describe('two firebreak processes on one Postgres', () => {
  test('never run one step twice, and together finish every run', { skip: NEEDS_POSTGRES }, async () => {
    const database = await postgresBackend()!.create();
    const work = await mkdtemp(join(tmpdir(), 'fb-shared-'));
    const marks = join(work, 'marks.txt');
    const env = {
      PLAYBOOKS_DIR: playbookDir({ 'count.yml': `name: count\nmatch: ['alertname="Shared"']\nsteps:\n${Array.from({ length: STEPS }, (_, i) => step(i + 1)).join('')}` }),
      EXEC_ALLOWLIST: process.execPath,
    };
    const second = createPgDb({ url: database.url!, logger: createLogger('silent') });
    const a = await startTestApp(database, env);
    const b = await startTestApp({ db: second, close: () => second.close() }, env);
    try {
      await Promise.all(Array.from({ length: INCIDENTS }, (_, i) => (i % 2 ? a : b).postWebhook(alertBody({ alertname: 'Shared', file: marks }))));
      const lines = async () => (await readFile(marks, 'utf8').catch(() => '')).split('\n').filter(Boolean);
      await eventually('every step of every run', async () => (await lines()).length >= STEPS * INCIDENTS, 30_000);
      await eventually('every run finished', async () =>
        (await database.db.query(`SELECT 1 FROM playbook_runs WHERE status = 'succeeded'`)).rowCount === INCIDENTS);
      const seen = await lines();
      assert.equal(seen.length, STEPS * INCIDENTS);
      assert.equal(new Set(seen).size, seen.length, 'no step ran twice');
      const ran = async (app: typeof a) => metricValue(app, 'firebreak_playbook_steps_total', { action: 'exec', outcome: 'succeeded' });
      assert.equal((await ran(a)) + (await ran(b)), STEPS * INCIDENTS);
    } finally {
      await a.close();
      await b.close();
      await second.close();
      await database.close();
      await rm(work, { recursive: true, force: true });
    }
  });
});
