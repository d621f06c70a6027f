import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { ErrorCode, FirebreakError } from '../lib/errors.js';
import { lockDataDir } from './data-dir-lock.js';
import { type EmbeddedSession, openPgliteThread } from './pglite-thread.js';
import { ADVISORY_LOCK_SQL, advisoryLockParams, type Db, type Queryable, type QueryResult } from './db.js';
import { wrapDatabaseError } from './errors.js';

// pg returns bytea as Buffer; PGlite as Uint8Array. Make PGlite agree (per query: clone() drops
// instance options).
const parsers = {
  [types.BYTEA]: (value: string) => Buffer.from(value.startsWith('\\x') ? value.slice(2) : value, 'hex'),
};

/**
 * Wraps an open PGlite instance (in memory or on disk) as a Db. `onClose` runs after it closes;
 * once `lostLock` says why, every statement is refused: another process may be writing the files.
 */
export function wrapPglite(instance: EmbeddedSession, onClose: () => Promise<void> = async () => {}, lostLock: () => string | undefined = () => undefined): Db {
  const refuseWhenLost = () => {
    const why = lostLock();
    if (why) throw new FirebreakError(ErrorCode.DatabaseUnavailable, why);
  };
  const run = async <R extends object>(q: Pick<EmbeddedSession, 'query'>, text: string, params?: readonly unknown[]) => {
    refuseWhenLost();
    try {
      const res = await q.query<R>(text, params as unknown[] | undefined, { parsers });
      // A SELECT reports affectedRows 0; pg reports the rows it returned, as this does.
      return { rows: res.rows, rowCount: res.affectedRows || res.rows.length } satisfies QueryResult<R>;
    } catch (err) {
      throw wrapDatabaseError(err);
    }
  };
  const exec = async (q: Pick<EmbeddedSession, 'exec'>, sql: string) => {
    refuseWhenLost();
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

/**
 * Opens (creating on first use) the embedded database in `dataDir`. One process per directory
 * (data-dir-lock.ts); `onLockLost` hears of another process taking it over.
 */
export async function openPgliteDb(dataDir: string, onLockLost: (why: string) => void = () => {}): Promise<Db> {
  const dir = resolve(dataDir);
  await mkdir(dir, { recursive: true });
  let lost: string | undefined;
  const lock = await lockDataDir(dir, {
    onLost: (holder) => {
      lost = `another process took the embedded database in ${dir} over${holder ? ` (host ${holder.host}, pid ${holder.pid})` : ''}: ` +
        'this one no longer uses it; restart it once that one is stopped';
      onLockLost(lost);
    },
  });
  try {
    const instance = await openPgliteThread(join(dir, 'pglite'));
    return wrapPglite(instance, () => lock.release(), () => lost);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** An in-memory embedded database (tests, `playbooks test`), with the extensions the migrations create (pg_trgm: 0019). */
export async function createMemoryPglite(): Promise<PGlite> {
  return PGlite.create({ extensions: { pg_trgm } });
}
