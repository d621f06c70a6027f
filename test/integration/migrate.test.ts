import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { MIGRATIONS_DIR, migrate, pendingMigrations, readMigrations } from '../../src/db/migrate.js';
import { createPgDb } from '../../src/db/pg.js';
import { createLogger } from '../../src/lib/logger.js';
import { backends, NEEDS_POSTGRES, postgresBackend } from '../support/databases.js';

for (const backend of backends()) {
  describe(`migrations (${backend.name})`, () => {
    test('applied ones are skipped, new ones applied, changed ones refused', async () => {
      const database = await backend.create();
      const dir = await mkdtemp(join(tmpdir(), 'fb-migrations-'));
      try {
        await cp(MIGRATIONS_DIR, dir, { recursive: true });
        assert.deepEqual(await migrate(database.db, dir), []);
        await writeFile(join(dir, '0999_extra.sql'), 'CREATE TABLE extra (id int);\nCREATE INDEX extra_id ON extra (id);');
        assert.equal(await pendingMigrations(database.db, dir), 1);
        assert.deepEqual(await migrate(database.db, dir), [999]);
        assert.equal(await pendingMigrations(database.db, dir), 0);

        await appendFile(join(dir, '0001_incidents.sql'), '\n-- edited later\n');
        await assert.rejects(migrate(database.db, dir), {
          code: 'MIGRATION_FAILED', message: 'migration 1_incidents was changed after it was applied; add a new migration instead',
        });
        await writeFile(join(dir, '1000_broken.sql'), 'CREATE TABLE nope (');
        await rm(join(dir, '0001_incidents.sql'));
        await assert.rejects(migrate(database.db, dir), (err: Error) => /^migration 1000_broken failed: /.test(err.message));
        assert.equal((await database.db.query("SELECT to_regclass('nope') AS t")).rows[0]!.t, null, 'a failed migration leaves nothing behind');
      } finally {
        await rm(dir, { recursive: true, force: true });
        await database.close();
      }
    });
  });
}

for (const backend of backends()) {
  test(`migration 0011: approvals asked before approver sets were frozen keep the user ids their playbook named (${backend.name})`, async () => {
    const database = await backend.create();
    const db = database.db;
    try {
      // The database as it was before 0011, with one pending approval in it.
      await db.query('DELETE FROM schema_migrations WHERE version = 11');
      await db.query('ALTER TABLE approvals DROP COLUMN approvers');
      const at = new Date('2026-11-21T10:00:00Z');
      const { rows: [incident] } = await db.query<{ id: number }>(
        `INSERT INTO incidents (title, severity, opened_at, last_seen_at) VALUES ('old', 'sev3', $1, $1) RETURNING id`, [at]);
      const { rows: [run] } = await db.query<{ id: number }>(
        `INSERT INTO playbook_runs (incident_id, playbook, playbook_hash, definition, alert, trigger, requested_by, started_at)
         VALUES ($1, 'p', 'h', '{}', '{}', 'alert', 'alertmanager', $2) RETURNING id`, [incident!.id, at]);
      const { rows: [step] } = await db.query<{ id: number }>(
        `INSERT INTO step_runs (run_id, incident_id, position, step_id, action) VALUES ($1, $2, 0, 's', 'http') RETURNING id`, [run!.id, incident!.id]);
      await db.query(
        `INSERT INTO approvals (step_run_id, incident_id, policy, requested_by, params_hash, requested_at, expires_at)
         VALUES ($1, $2, $3, 'alertmanager', 'x', $4, $4)`,
        [step!.id, incident!.id, JSON.stringify({ approvers: ['U0ALICE', '@sre-leads', 'commander'], min_approvals: 1 }), at]);

      assert.deepEqual(await migrate(db), [11]);
      const { rows } = await db.query<{ approvers: unknown }>('SELECT approvers FROM approvals');
      const old = 'requested before firebreak froze approver sets';
      assert.deepEqual(rows[0]!.approvers, {
        resolvedAt: '2026-11-21T10:00:00.000Z',
        sources: [
          { approver: 'U0ALICE', members: ['U0ALICE'] },
          { approver: '@sre-leads', members: [], unreadable: old },
          { approver: 'commander', members: [], unreadable: old },
        ],
      });
    } finally {
      await database.close();
    }
  });
}

describe('migrations on a shared Postgres', () => {
  test('two processes migrating one empty database at once apply each migration once', { skip: NEEDS_POSTGRES }, async () => {
    const template = await postgresBackend()!.create();
    const url = new URL(template.url!);
    const name = `${url.pathname.slice(1)}_empty`;
    await template.db.query(`CREATE DATABASE ${name}`);
    url.pathname = `/${name}`;
    const a = createPgDb({ url: url.toString(), logger: createLogger('silent') });
    const b = createPgDb({ url: url.toString(), logger: createLogger('silent') });
    try {
      const [ra, rb] = await Promise.all([migrate(a), migrate(b)]);
      const all = (await readMigrations()).map((m) => m.version);
      assert.deepEqual([...ra, ...rb].sort((x, y) => x - y), all, 'each applied exactly once');
      assert.ok(ra.length === 0 || rb.length === 0, 'one did all the work, the other waited and found nothing to do');
      assert.equal((await a.query('SELECT count(*) AS n FROM schema_migrations')).rows[0]!.n, all.length);
    } finally {
      await a.close();
      await b.close();
      await template.db.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await template.close();
    }
  });
});
