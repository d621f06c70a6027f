/**
 * Glossary
 * - Queryable: anything that runs one parameterized statement (the Db itself, or a transaction).
 * - Db: a Queryable that also opens transactions and closes; two adapters implement it, over a
 *   `pg` Pool (real Postgres) and over embedded PGlite. Both return the same JS types: int8 and
 *   count(*) as number, timestamptz as Date, jsonb parsed, bytea as Buffer.
 */

/** A result row: column name → value. */
export type Row = Record<string, unknown>;

/** What one statement returns. */
export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Runs one parameterized statement. */
export interface Queryable {
  query<R extends object = Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** A database connection (pool or embedded instance) firebreak's modules are handed. */
export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. With
   * `lock`, the transaction first takes that advisory lock (held until it ends; fn's statements
   * run once it is taken). On Postgres, the lock and fn's first statement are sent right behind
   * BEGIN without waiting for its answer: one round trip for all three.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel` (delivered at commit). A lost connection is
   * re-established; notifications sent meanwhile are lost, so once listening again it calls
   * `onNotify('')` for the listener to look for what it missed. Resolves to the function that
   * stops listening.
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** How a transaction starts. */
export interface TransactionOptions {
  /** An advisory lock taken first and held until the transaction ends. */
  lock?: AdvisoryLock;
  /**
   * Plan the transaction's statements once per connection and reuse the plan, for a hot path whose
   * statements find rows by key. Postgres otherwise re-plans a prepared statement on every run when
   * it guesses that its parameters matter, as it did for the intake's read on every webhook. JIT is
   * off in such a transaction: a plan costed over jit_above_cost (the intake's read, on a large
   * alerts table not yet analyzed) was compiled again on every run, at many times the cost of the
   * query itself (CHANGELOG). Only the Postgres adapter caches plans; PGlite ignores this.
   */
  planOnce?: boolean;
}

/** A two-part advisory lock key: a namespace and a 32-bit key within it. */
export type AdvisoryLock = readonly [namespace: number, key: number];

/**
 * The statement that takes a lock until the end of the transaction, with the lock's parameters. One
 * text for every lock: the Postgres adapter prepares it once per connection, where a text per key
 * was parsed and planned again in every transaction.
 */
export const ADVISORY_LOCK_SQL = 'SELECT pg_advisory_xact_lock($1::int, $2::int)';

/** `lock` as ADVISORY_LOCK_SQL's parameters; throws unless both parts are integers. */
export function advisoryLockParams([namespace, key]: AdvisoryLock): [number, number] {
  if (!Number.isInteger(namespace) || !Number.isInteger(key)) throw new TypeError('advisory lock keys must be integers');
  return [namespace | 0, key | 0];
}
