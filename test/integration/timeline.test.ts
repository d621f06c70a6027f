import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { appendTimeline, verifyTimeline } from '../../src/incidents/timeline.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { fixture, startTestApp, type TestApp } from '../support/app.js';
import { incidentId, timeline } from '../support/state.js';

for (const backend of backends()) {
  describe(`timeline integrity (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let id: number;
    // Bypasses the append-only triggers the way someone with direct database access could.
    const behindItsBack = (sql: string) =>
      database.db.transaction(async (tx) => {
        await tx.query('SET LOCAL session_replication_role = replica');
        await tx.query(sql);
      });

    before(async () => {
      database = await backend.create();
      app = await startTestApp(database);
      for (const name of ['firing-group', 'partial-resolve', 'resolved-group']) {
        assert.equal((await app.postWebhook(await fixture(`alertmanager/${name}.json`))).status, 200);
      }
      id = await incidentId(database.db, 1);
    });
    after(async () => {
      await app.close();
      await database.close();
    });

    test('UPDATE, DELETE and TRUNCATE of timeline events are refused', async () => {
      for (const sql of ["UPDATE timeline_events SET summary = 'nothing happened'", 'DELETE FROM timeline_events', 'TRUNCATE timeline_events']) {
        await assert.rejects(database.db.query(sql), (err: Error) => {
          assert.match(err.message, /^timeline_events is append-only: (UPDATE|DELETE|TRUNCATE) refused$/);
          return true;
        }, sql);
      }
      assert.equal((await timeline(database.db, 1)).length, 6);
    });

    test('the hash chain of an intact timeline verifies, and appends keep it intact', async () => {
      assert.equal(await verifyTimeline(database.db, id), null);
      // Whatever seq or hash a writer supplies, the database sets them.
      await database.db.query(
        `INSERT INTO timeline_events (incident_id, at, kind, actor, summary, seq, prev_hash, hash)
         VALUES ($1, now(), 'note', 'U1', 'forged', 1, '\\x00', '\\x00')`, [id]);
      await database.db.transaction((tx) => appendTimeline(tx, [{ incidentId: id, at: new Date(), kind: 'alerts.fired', actor: 'x', summary: 's' }]));
      assert.deepEqual((await timeline(database.db, 1)).map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.equal(await verifyTimeline(database.db, id), null);
    });

    test('a row altered behind the triggers\' back is detected at its seq', async () => {
      await behindItsBack(`UPDATE timeline_events SET summary = 'all fine' WHERE incident_id = ${id} AND seq = 3`);
      assert.equal(await verifyTimeline(database.db, id), 3);
    });

    test('removing the newest events is detected too', async () => {
      const other = await backend.create();
      try {
        const app2 = await startTestApp(other);
        await app2.postWebhook(await fixture('alertmanager/firing-group.json'));
        await app2.close();
        const otherId = await incidentId(other.db, 1);
        assert.equal(await verifyTimeline(other.db, otherId), null);
        await other.db.transaction(async (tx) => {
          await tx.query('SET LOCAL session_replication_role = replica');
          await tx.query(`DELETE FROM timeline_events WHERE incident_id = ${otherId} AND seq = 2`);
        });
        assert.equal(await verifyTimeline(other.db, otherId), 2);
      } finally {
        await other.close();
      }
    });

    test('a chain hashed by the SQL-language digest of migration 0003 still verifies under 0009\'s PL/pgSQL one', async () => {
      const other = await backend.create();
      try {
        const migration = (name: string) => readFile(join(MIGRATIONS_DIR, name), 'utf8');
        const lang = async () => (await other.db.query<{ lanname: string }>(
          "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname = 'timeline_event_digest'")).rows[0]!.lanname;
        assert.equal(await lang(), 'plpgsql');
        const original = /CREATE FUNCTION timeline_event_digest[\s\S]*?\$\$;/.exec(await migration('0003_timeline.sql'))![0];
        await other.db.exec(original.replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
        assert.equal(await lang(), 'sql');

        const app2 = await startTestApp(other);
        await app2.postWebhook(await fixture('alertmanager/firing-group.json'));
        const otherId = await incidentId(other.db, 1);
        await other.db.exec(await migration('0009_timeline_digest_plpgsql.sql'));
        assert.equal(await lang(), 'plpgsql');
        await app2.postWebhook(await fixture('alertmanager/resolved-group.json'));
        await app2.close();
        assert.ok((await timeline(other.db, 1)).length >= 3);
        assert.equal(await verifyTimeline(other.db, otherId), null);
      } finally {
        await other.close();
      }
    });
  });
}
