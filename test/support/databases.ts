import { createHash } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { Db } from '../../src/db/db.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { createPgDb } from '../../src/db/pg.js';
import { createMemoryPglite, wrapPglite } from '../../src/db/pglite.js';
import { createLogger } from '../../src/lib/logger.js';

/** A fresh, migrated database for one test. */
export interface TestDatabase {
  db: Db;
  /** Set for Postgres: the URL of this test's own database (for child processes). */
  url?: string;
  close(): Promise<void>;
}

/** One database back end the suite runs against. */
export interface Backend {
  name: 'pglite' | 'postgres';
  create(): Promise<TestDatabase>;
}

/** The admin URL of the Postgres the tests may use, when DATABASE_URL is set. */
export const POSTGRES_URL = process.env.DATABASE_URL || undefined;
const silent = createLogger('silent');

// PGlite: migrate one in-memory instance per test process, then clone it per test (~1 s rather than
// ~4 s for a new instance, and no migration cost).
let pgliteTemplate: Promise<PGlite> | undefined;
// Registered at import, so it binds to the file's root: it runs once every suite is done.
after(async () => {
  if (pgliteTemplate) await (await pgliteTemplate).close();
});
const pglite: Backend = {
  name: 'pglite',
  async create() {
    pgliteTemplate ??= (async () => {
      const instance = await createMemoryPglite();
      await migrate(wrapPglite(instance));
      return instance;
    })();
    const clone = (await (await pgliteTemplate).clone()) as PGlite;
    const db = wrapPglite(clone);
    return { db, close: () => db.close() };
  },
};

// Postgres: a template database per migration set, cloned with CREATE DATABASE … TEMPLATE per test.
let templateName: Promise<string> | undefined;
let counter = 0;
const withUrlDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

async function adminQuery(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

async function ensureTemplate(): Promise<string> {
  const migrations = await readMigrations();
  const hash = createHash('sha256').update(migrations.map((m) => m.checksum).join()).digest('hex').slice(0, 12);
  const name = `firebreak_tpl_${hash}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(42420001)'); // test processes may race to build it
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${name}_building`);
      const db = createPgDb({ url: withUrlDatabase(POSTGRES_URL!, `${name}_building`), logger: silent, max: 1 });
      await migrate(db);
      await db.close();
      await client.query(`ALTER DATABASE ${name}_building RENAME TO ${name}`);
    }
    await client.query('SELECT pg_advisory_unlock(42420001)');
  } finally {
    await client.end();
  }
  return name;
}

const postgres: Backend = {
  name: 'postgres',
  async create() {
    templateName ??= ensureTemplate();
    const template = await templateName;
    const name = `firebreak_test_${process.pid}_${++counter}`;
    await adminQuery(`DROP DATABASE IF EXISTS ${name}`);
    await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    const url = withUrlDatabase(POSTGRES_URL!, name);
    const db = createPgDb({ url, logger: silent });
    return {
      db,
      url,
      async close() {
        await db.close();
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  },
};

/** PGlite always; Postgres too when DATABASE_URL is set (CI sets it). */
export function backends(): Backend[] {
  return POSTGRES_URL ? [pglite, postgres] : [pglite];
}

/** The Postgres back end, or undefined when DATABASE_URL is unset. */
export function postgresBackend(): Backend | undefined {
  return POSTGRES_URL ? postgres : undefined;
}

/** The reason a Postgres-only test is skipped, for its name. */
export const NEEDS_POSTGRES = POSTGRES_URL ? false : 'skipped: needs DATABASE_URL (a real Postgres server)';
