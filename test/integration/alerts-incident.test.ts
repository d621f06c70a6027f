import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Queryable } from '../../src/db/db.js';
import { sqlStateOf } from '../../src/db/errors.js';
import { backends, NEEDS_POSTGRES, postgresBackend, type TestDatabase } from '../support/databases.js';
import { count } from '../support/state.js';

// An incident written directly, with no timeline (whose own foreign key would refuse a delete first).
const newIncident = async (db: Queryable, title: string) =>
  (await db.query<{ id: number }>(
    `INSERT INTO incidents (title, severity, opened_at, last_seen_at) VALUES ($1, 'sev3', now(), now()) RETURNING id`, [title],
  )).rows[0]!.id;

// One alert per id given, all in one statement.
const INSERT_ALERTS = `INSERT INTO alerts (incident_id, fingerprint, starts_at, status, labels, annotations, first_seen_at, last_seen_at)
  SELECT i, 'fp-' || i || '-' || n, now(), 'firing', '{}', '{}', now(), now() FROM unnest($1::bigint[]) WITH ORDINALITY AS t(i, n)`;
const insertAlerts = (db: Queryable, incidentIds: number[]) => db.query(INSERT_ALERTS, [incidentIds]);

// The foreign key alerts.incident_id → incidents.id (migration 0013) refuses them, naming itself.
const refusedFor = (id: number) => (err: Error) => {
  assert.equal(sqlStateOf(err), '23503');
  assert.equal(err.message, 'insert or update on table "alerts" violates foreign key constraint "alerts_incident_id_fkey"');
  assert.equal((err.cause as { detail?: string }).detail, `Key (incident_id)=(${id}) is not present in table "incidents".`);
  return true;
};

for (const backend of backends()) {
  describe(`every alert belongs to an incident (${backend.name})`, () => {
    let database: TestDatabase;
    let incident: number;

    before(async () => {
      database = await backend.create();
      incident = await newIncident(database.db, 'has alerts');
    });
    after(() => database.close());

    test('alerts naming an incident that does not exist are refused, with their whole statement', async () => {
      await assert.rejects(insertAlerts(database.db, [9_999_999]), refusedFor(9_999_999));
      // One bad row among good ones: nothing of the statement is kept.
      await assert.rejects(insertAlerts(database.db, [incident, 9_999_998, incident]), refusedFor(9_999_998));
      assert.equal(await count(database.db, 'alerts'), 0);
      await insertAlerts(database.db, [incident, incident]);
      assert.equal(await count(database.db, 'alerts'), 2);
    });

    test('an alert cannot be moved to an incident that does not exist', async () => {
      await assert.rejects(database.db.query('UPDATE alerts SET incident_id = 9999997'), refusedFor(9_999_997));
      const { rows } = await database.db.query<{ incident_id: number }>('SELECT DISTINCT incident_id FROM alerts');
      assert.deepEqual(rows, [{ incident_id: incident }]);
    });

    test('an incident with alerts is not deleted; one without alerts is', async () => {
      await assert.rejects(database.db.query('DELETE FROM incidents WHERE id = $1', [incident]), (err: Error) => {
        assert.equal(sqlStateOf(err), '23503');
        assert.equal(err.message, 'update or delete on table "incidents" violates foreign key constraint "alerts_incident_id_fkey" on table "alerts"');
        return true;
      });
      const spare = await newIncident(database.db, 'no alerts');
      assert.equal((await database.db.query('DELETE FROM incidents WHERE id = $1', [spare])).rowCount, 1);
      assert.equal(await count(database.db, 'incidents'), 1);
    });
  });
}

describe('every alert belongs to an incident, under concurrency (postgres)', () => {
  test('deleting an incident waits for a transaction writing its alerts, then sees them', { skip: NEEDS_POSTGRES }, async () => {
    const database = await postgresBackend()!.create();
    const writer = new pg.Client({ connectionString: database.url });
    const deleter = new pg.Client({ connectionString: database.url });
    try {
      const id = await newIncident(database.db, 'being alerted');
      await writer.connect();
      await deleter.connect();
      await writer.query('BEGIN');
      await writer.query(INSERT_ALERTS, [[id]]);
      // The writer's alert is not committed, so only its lock on the incident can stop the delete.
      await deleter.query("SET lock_timeout = '300ms'");
      await assert.rejects(deleter.query('DELETE FROM incidents WHERE id = $1', [id]), (err: Error) => sqlStateOf(err) === '55P03');
      await writer.query('COMMIT');
      await assert.rejects(deleter.query('DELETE FROM incidents WHERE id = $1', [id]), (err: Error) => sqlStateOf(err) === '23503');
      assert.equal(await count(database.db, 'alerts'), 1);
    } finally {
      await writer.end();
      await deleter.end();
      await database.close();
    }
  });
});
