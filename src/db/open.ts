import type { Logger } from '../lib/logger.js';
import type { Db } from './db.js';
import { createPgDb } from './pg.js';
import { openPgliteDb } from './pglite.js';

/** Where the data lives: a Postgres server, or the embedded PGlite directory. */
export type DatabaseConfig = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

/** Opens the configured database: Postgres with DATABASE_URL, embedded PGlite otherwise. */
export async function openDatabase(config: DatabaseConfig, logger: Logger): Promise<Db> {
  if (config.kind === 'postgres') return createPgDb({ url: config.url, logger });
  return openPgliteDb(config.dataDir, (why) => logger.error(why));
}

/** What to log about the database: never the URL, which may hold a password. */
export function describeDatabase(config: DatabaseConfig): Record<string, string> {
  if (config.kind === 'pglite') return { database: 'embedded', dataDir: config.dataDir };
  const url = new URL(config.url);
  return { database: 'postgres', host: url.host, name: url.pathname.slice(1) };
}
