import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openDatabase } from '../../src/db/open.js';
import { createLogger } from '../../src/lib/logger.js';
import { fixture, TOKEN } from '../support/app.js';
import { backends } from '../support/databases.js';
import { runCli } from '../support/process.js';

for (const backend of backends()) {
  describe(`firebreak verify: the timeline chains after a restore (${backend.name})`, () => {
    test('intact chains exit 0; an altered event is named, exit 1', async () => {
      const work = await mkdtemp(join(tmpdir(), 'fb-verify-'));
      const database = backend.name === 'postgres' ? await backend.create() : undefined;
      const env = {
        PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: join(work, 'data'),
        ...(database ? { DATABASE_URL: database.url! } : {}),
      };
      const dbConfig = database ? { kind: 'postgres' as const, url: database.url! } : { kind: 'pglite' as const, dataDir: env.FIREBREAK_DATA_DIR };
      try {
        const app = runCli(['start'], env);
        const url = await app.listening;
        for (const name of ['firing-group', 'storm-2000']) {
          const res = await fetch(`${url}/webhooks/alertmanager`, {
            method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: await fixture(`alertmanager/${name}.json`),
          });
          assert.equal(res.status, 200);
        }
        app.child.kill('SIGTERM');
        assert.equal(await app.exited, 0);

        const ok = runCli(['verify'], env);
        assert.equal(await ok.exited, 0);
        assert.equal(ok.stdout(), '2 incident timeline(s) checked, 0 broken\n');

        // What a bad restore does: an event changed under the chain (the append-only trigger set aside).
        const db = await openDatabase(dbConfig, createLogger('silent'));
        try {
          await db.exec(`ALTER TABLE timeline_events DISABLE TRIGGER timeline_events_append_only;
            UPDATE timeline_events SET summary = summary || ' (edited)' WHERE seq = 1 AND incident_id = (SELECT id FROM incidents WHERE number = 2);
            ALTER TABLE timeline_events ENABLE TRIGGER timeline_events_append_only;`);
        } finally {
          await db.close();
        }
        const broken = runCli(['verify'], env);
        assert.equal(await broken.exited, 1);
        assert.equal(broken.stdout(), 'INC-2: the timeline is broken at event 1\n2 incident timeline(s) checked, 1 broken\n');
      } finally {
        await rm(work, { recursive: true, force: true });
        await database?.close();
      }
    });
  });
}
