import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Db } from '../src/db/db.js';
import { createPgDb } from '../src/db/pg.js';
import { openPgliteDb } from '../src/db/pglite.js';
import { createLogger } from '../src/lib/logger.js';

const silent = createLogger('silent');

/** A database back end a benchmark runs on: embedded PGlite always, Postgres with DATABASE_URL. */
export type Backend = { name: string; open: () => Promise<{ db: Db; dispose: () => Promise<void> }> };

export function backends(): Backend[] {
  const list: Backend[] = [{
    name: 'pglite',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'fb-bench-'));
      const db = await openPgliteDb(dir);
      return { db, dispose: async () => { await db.close(); await rm(dir, { recursive: true, force: true }); } };
    },
  }];
  const admin = process.env.DATABASE_URL;
  if (admin) {
    let n = 0;
    list.push({
      name: 'postgres',
      async open() {
        const name = `firebreak_bench_${process.pid}_${++n}`;
        const client = new pg.Client(admin);
        await client.connect();
        await client.query(`CREATE DATABASE ${name}`);
        const url = new URL(admin);
        url.pathname = `/${name}`;
        const db = createPgDb({ url: url.toString(), logger: silent });
        return {
          db,
          dispose: async () => { await db.close(); await client.query(`DROP DATABASE ${name} WITH (FORCE)`); await client.end(); },
        };
      },
    });
  }
  const only = process.env.BENCH_BACKENDS?.split(',');
  return only ? list.filter((b) => only.includes(b.name)) : list;
}

