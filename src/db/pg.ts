import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../lib/logger.js';
import { ADVISORY_LOCK_SQL, advisoryLockParams, type Db, type Queryable, type QueryResult } from './db.js';
import { wrapDatabaseError } from './errors.js';

const INT8_OID = 20;

// Parse int8 as number so both adapters agree (PGlite does this already). Ids, counts and sums of
// sizes stay far below 2^53. Done per pool rather than through pg.types, so nothing global changes.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

// Parameterized statements are prepared once per connection under a name derived from their text,
// so Postgres does not parse and plan the intake's statements again for every webhook. Their texts
// are constants of firebreak's code, so the set of names stays small.
const statementNames = new Map<string, string>();
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `fb_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

// A LISTEN connection that drops is re-opened after this long; notifications sent meanwhile are
// lost, so the listener is told once it is back (onNotify('')), and looks.
const RELISTEN_DELAY_MS = 1_000;

/** LISTEN on a connection of its own (a pooled one would be handed to others), re-opened when lost. */
async function listenWithReconnect(options: {
  url: string; logger: Logger; channel: string; onNotify: (payload: string) => void;
}): Promise<() => Promise<void>> {
  const { url, logger, channel, onNotify } = options;
  let client: pg.Client | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lost = false;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'firebreak-listen' });
    c.on('notification', (n) => {
      if (n.channel === channel) onNotify(n.payload ?? '');
    });
    c.on('error', (err) => {
      logger.warn({ err: err.message, channel }, 'LISTEN connection lost; reconnecting');
      void c.end().catch(() => {});
      if (client === c) client = undefined;
      lost = true;
      schedule();
    });
    await c.connect();
    await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    if (stopped) {
      await c.end();
      return;
    }
    client = c;
    if (lost) {
      lost = false;
      onNotify(''); // what was sent while the connection was down
    }
  };
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      connect().catch((err: unknown) => {
        logger.warn({ err: (err as Error).message, channel }, 'LISTEN reconnect failed');
        schedule();
      });
    }, RELISTEN_DELAY_MS);
    timer.unref();
  };
  try {
    await connect();
  } catch (err) {
    // Not fatal: the database may come back; until then listeners poll.
    logger.warn({ err: (err as Error).message, channel }, 'LISTEN failed; retrying');
    lost = true;
    schedule();
  }
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await client?.end().catch(() => {});
  };
}

/** Options for the Postgres adapter. */
export interface PgDbOptions {
  url: string;
  logger: Logger;
  /** Pool size per process. Replicas add up: keep the sum below the server's max_connections. */
  max?: number;
}

/** A Db over a `pg` Pool on a real Postgres server. */
export function createPgDb({ url, logger, max = 10 }: PgDbOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    // A dead server should give a quick 503 (Alertmanager then retries), not hang the webhook.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'firebreak',
    // A statement is sent when it is issued, not when the one before it has been answered: a
    // transaction's BEGIN goes out with its first statement (see transaction()).
    pipeline: true,
  });
  // An idle client losing its connection emits here; unhandled, it would crash the process.
  pool.on('error', (err) => logger.warn({ err: err.message }, 'idle database connection lost'));

  const run = async <R extends object>(client: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) => {
    try {
      const res = await client.query<R & pg.QueryResultRow>(
        params ? { text, values: params as unknown[], name: statementName(text) } : text,
      );
      return { rows: res.rows, rowCount: res.rowCount ?? 0 } satisfies QueryResult<R>;
    } catch (err) {
      throw wrapDatabaseError(err);
    }
  };

  // Without parameters pg uses the simple query protocol, which accepts several statements.
  const exec = async (client: pg.Pool | pg.PoolClient, sql: string) => {
    await run(client, sql);
  };

  return {
    kind: 'postgres',
    query: (text, params) => run(pool, text, params),
    exec: (sql) => exec(pool, sql),
    async transaction(fn, options) {
      const lock = options?.lock ? advisoryLockParams(options.lock) : undefined;
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw wrapDatabaseError(err);
      }
      const tx: Queryable = { query: (text, params) => run(client, text, params), exec: (sql) => exec(client, sql) };
      let broken: unknown;
      // BEGIN and the settings are one message (the simple protocol takes several statements); the
      // lock is a prepared statement behind it. Neither is awaited: fn's first statement goes out
      // right behind them, so a webhook's transaction costs one round trip less. Postgres runs them
      // in order. BEGIN comes first in its message and cannot fail alone, so the lock and fn's
      // statements run inside the transaction; should a setting or the lock fail, what follows
      // fails too (the transaction is aborted), and that first error is the one reported. SET
      // LOCAL ends with the transaction, so the pooled connection is unchanged.
      const settings = exec(client, [
        'BEGIN',
        ...(options?.planOnce ? ['SET LOCAL plan_cache_mode = force_generic_plan', 'SET LOCAL jit = off'] : []),
      ].join('; '));
      const begin = lock ? Promise.all([settings, run(client, ADVISORY_LOCK_SQL, lock)]) : settings;
      begin.catch(() => {}); // awaited below, whichever way fn ends
      try {
        const result = await fn(tx);
        await begin;
        await tx.query('COMMIT');
        return result;
      } catch (err) {
        const cause = await begin.then(() => err, (beginError: unknown) => beginError);
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr; // the connection is gone: do not hand it back to the pool
        }
        throw wrapDatabaseError(cause);
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    listen: (channel, onNotify) => listenWithReconnect({ url, logger, channel, onNotify }),
    async close() {
      await pool.end();
    },
  };
}
