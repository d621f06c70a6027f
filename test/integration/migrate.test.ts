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
