import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { ErrorCode, FirebreakError } from '../lib/errors.js';
import { ADVISORY_LOCK_SQL, advisoryLockParams, type Db, type Queryable, type QueryResult } from './db.js';
import { wrapDatabaseError } from './errors.js';

// pg returns bytea as Buffer; PGlite as Uint8Array. Make PGlite agree (per query: clone() drops
// instance options).
const parsers = {
  [types.BYTEA]: (value: string) => Buffer.from(value.startsWith('\\x') ? value.slice(2) : value, 'hex'),
};

/** Wraps an open PGlite instance (in memory or on disk) as a Db. `onClose` runs after it closes. */
export function wrapPglite(instance: PGlite, onClose: () => Promise<void> = async () => {}): Db {
  const run = async <R extends object>(q: Pick<PGlite, 'query'>, text: string, params?: readonly unknown[]) => {
    try {
      const res = await q.query<R>(text, params as unknown[] | undefined, { parsers });
      // A SELECT reports affectedRows 0; pg reports the rows it returned, as this does.
      return { rows: res.rows, rowCount: res.affectedRows || res.rows.length } satisfies QueryResult<R>;
    } catch (err) {
      throw wrapDatabaseError(err);
    }
  };
  const exec = async (q: Pick<PGlite, 'exec'>, sql: string) => {
    try {
      await q.exec(sql);
    } catch (err) {
      throw wrapDatabaseError(err);
    }
  };
  return {
    kind: 'pglite',
    query: (text, params) => run(instance, text, params),
    exec: (sql) => exec(instance, sql),
    async transaction(fn, options) {
      try {
        return await instance.transaction(async (t) => {
          // PGlite has one session, so transactions are serialized anyway; the lock is taken all the same.
          if (options?.lock) await run(t, ADVISORY_LOCK_SQL, advisoryLockParams(options.lock));
          return fn({ query: (text, params) => run(t, text, params), exec: (sql) => exec(t, sql) } satisfies Queryable);
        });
      } catch (err) {
        throw wrapDatabaseError(err);
      }
    },
    async listen(channel, onNotify) {
      const stop = await instance.listen(channel, onNotify);
      return async () => {
        if (!instance.closed) await stop();
      };
    },
    async close() {
      if (!instance.closed) await instance.close();
      await onClose();
    },
  };
}

/** Opens (creating on first use) the embedded database in `dataDir`. One process per directory. */
export async function openPgliteDb(dataDir: string): Promise<Db> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  const releaseLock = await lockDataDir(dir);
  try {
    const instance = await PGlite.create({ dataDir: join(dir, 'pglite') });
    return wrapPglite(instance, releaseLock);
  } catch (err) {
    await releaseLock();
    throw err;
  }
}

/** An in-memory embedded database (tests, `playbooks test`). */
export async function createMemoryPglite(): Promise<PGlite> {
  return PGlite.create();
}

/**
 * PGlite is one process's database: a second process opening the same directory would corrupt it.
 * A pid file refuses that with a clear message; a file left by a dead process is taken over.
 */
async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const lockPath = join(dir, 'firebreak.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new FirebreakError(
          ErrorCode.DatabaseUnavailable,
          `the embedded database in ${dir} is in use by another firebreak process (pid ${pid}); ` +
            'stop it, or set DATABASE_URL to share a Postgres server between processes',
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new FirebreakError(ErrorCode.DatabaseUnavailable, `could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
