import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ErrorCode, FirebreakError } from '../lib/errors.js';
import type { Db } from './db.js';

/** The repository's migrations folder (two levels above both src/db and dist/db). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

// The advisory lock key for "migrating": an arbitrary constant, unlikely to clash with another
// application's keys in a shared database. Two processes starting together against one Postgres:
// the second waits, then finds nothing left to do.
const MIGRATION_LOCK_KEY = 7_020_389_018_923_221_359n;

/** One forward-only SQL file, `NNNN_name.sql`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

/** Reads and orders the migration files. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const match = /^(\d+)_(.+)\.sql$/.exec(file);
      if (!match) {
        throw new FirebreakError(ErrorCode.MigrationFailed, `migration file ${file} is not named NNNN_name.sql`);
      }
      const sql = await readFile(`${dir}/${file}`, 'utf8');
      return { version: Number(match[1]), name: match[2]!, sql, checksum: sha256(sql) };
    }),
  );
}

/**
 * Applies every pending migration in one transaction under an advisory lock and records each.
 * Refuses to run when an applied migration's file has changed since (migrations are forward-only:
 * write a new one instead). Returns the versions it applied.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await readMigrations(dir);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await tx.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    const applied = new Map(rows.map((r) => [r.version, r.checksum]));
    const done: number[] = [];
    for (const m of migrations) {
      const checksum = applied.get(m.version);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new FirebreakError(
            ErrorCode.MigrationFailed,
            `migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new FirebreakError(ErrorCode.MigrationFailed, `migration ${m.version}_${m.name} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      done.push(m.version);
    }
    return done;
  });
}

/** How many migration files are not applied yet (readiness: 0 means ready). */
export async function pendingMigrations(db: Db, dir = MIGRATIONS_DIR): Promise<number> {
  const migrations = await readMigrations(dir);
  const { rows: exists } = await db.query<{ ok: boolean }>("SELECT to_regclass('schema_migrations') IS NOT NULL AS ok");
  if (!exists[0]?.ok) return migrations.length;
  const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
  const applied = new Set(rows.map((r) => r.version));
  return migrations.filter((m) => !applied.has(m.version)).length;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
