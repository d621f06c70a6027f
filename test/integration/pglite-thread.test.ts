import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../src/db/db.js';
import { isUniqueViolation } from '../../src/db/errors.js';
import { openPgliteDb } from '../../src/db/pglite.js';
import { ErrorCode, FirebreakError } from '../../src/lib/errors.js';

// The embedded database on disk runs in its own thread (src/db/pglite-worker.ts): what firebreak
// relies on must come through the thread boundary as it does from PGlite in process.
describe('the embedded database in its own thread', () => {
  let dir: string;
  let db: Db;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fb-thread-'));
    db = await openPgliteDb(dir);
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, body bytea, at timestamptz, doc jsonb)');
  });
  after(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('values come back as the pg adapter returns them: bytea as Buffer, timestamptz as Date, jsonb parsed', async () => {
    const body = Buffer.from([0, 1, 2, 255]);
    const at = new Date('2026-12-03T10:00:00.123Z');
    await db.query('INSERT INTO t (id, body, at, doc) VALUES ($1, $2, $3, $4)', [1, body, at, JSON.stringify({ a: [1, 'x'] })]);
    const { rows, rowCount } = await db.query<{ body: Buffer; at: Date; doc: unknown }>('SELECT body, at, doc FROM t WHERE id = 1');
    assert.equal(rowCount, 1);
    assert.ok(Buffer.isBuffer(rows[0]!.body), 'a Buffer, not a bare Uint8Array');
    assert.deepEqual([...rows[0]!.body], [0, 1, 2, 255]);
    assert.equal(rows[0]!.at.toISOString(), at.toISOString());
    assert.deepEqual(rows[0]!.doc, { a: [1, 'x'] });
    const updated = await db.query('UPDATE t SET doc = NULL WHERE id >= 0');
    assert.equal(updated.rowCount, 1, 'rows written are counted');
  });

  test('a statement\'s error keeps its SQLSTATE across the thread', async () => {
    await db.query('INSERT INTO t (id) VALUES (2)');
    const err = await db.query('INSERT INTO t (id) VALUES (2)').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof FirebreakError);
    assert.equal(err.code, ErrorCode.DatabaseQueryFailed);
    assert.match(err.message, /duplicate key value violates unique constraint "t_pkey"/);
    assert.ok(isUniqueViolation(err), 'SQLSTATE 23505 is read from the cause');
  });

  test('a transaction holds the session: a statement sent meanwhile waits for its end; a throw rolls it back', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tx = db.transaction(async (q) => {
      await q.query('INSERT INTO t (id) VALUES (10)');
      await held;
      await q.query('INSERT INTO t (id) VALUES (11)');
    });
    // Sent while the transaction is open: it must see both rows or neither, never one.
    const outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE id IN (10, 11)');
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await tx;
    assert.equal((await outside).rows[0]!.n, 2);

    await assert.rejects(db.transaction(async (q) => {
      await q.query('INSERT INTO t (id) VALUES (12)');
      throw new Error('changed my mind');
    }), /changed my mind/);
    assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE id = 12')).rows[0]!.n, 0);
  });

  test('NOTIFY reaches a listener at commit, and stops once it stops listening', async () => {
    const heard: string[] = [];
    const stop = await db.listen('fb_thread_test', (payload) => heard.push(payload));
    await db.transaction(async (q) => {
      await q.query("SELECT pg_notify('fb_thread_test', 'one')");
    });
    for (let i = 0; i < 50 && heard.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(heard, ['one']);
    await stop();
    await db.query("SELECT pg_notify('fb_thread_test', 'two')");
    await db.query('SELECT 1');
    assert.deepEqual(heard, ['one']);
  });

  test('once closed, a statement is refused as the database being unavailable (503, retried later), not as a bad query', async () => {
    const other = await mkdtemp(join(tmpdir(), 'fb-thread-closed-'));
    const closing = await openPgliteDb(other);
    await closing.close();
    const err = await closing.query('SELECT 1').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof FirebreakError);
    assert.equal(err.code, ErrorCode.DatabaseUnavailable);
    assert.match(err.message, /^database unavailable: PGlite is closed: the embedded database's thread stopped/);
    await rm(other, { recursive: true, force: true });
  });
});
