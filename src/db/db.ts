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
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Postgres SQLSTATE codes firebreak reacts to by name. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_RAISE_EXCEPTION = 'P0001';
