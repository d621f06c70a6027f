/**
 * The embedded database's own thread: PGlite runs each statement synchronously in WebAssembly, so
 * on the main thread a statement that carries a large value (a megabyte label is stored, compressed
 * and hashed three times by the intake) held every HTTP request waiting for 40–110 ms. Here it holds
 * only this thread. Requests come from pglite-thread.ts, one at a time, and are answered in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { ThreadAnswer, ThreadRequest } from './pglite-thread.js';

const port = parentPort!;
const { dataDir } = workerData as { dataDir: string };
const parsers = { [types.BYTEA]: (value: string) => Buffer.from(value.startsWith('\\x') ? value.slice(2) : value, 'hex') };
const listeners = new Map<string, () => Promise<void>>();

/** What survives the trip to the main thread of a driver error: its message and SQLSTATE fields. */
function errorFields(err: unknown): ThreadAnswer['error'] {
  const e = err as { message?: unknown; code?: unknown; detail?: unknown; constraint?: unknown; table?: unknown; column?: unknown };
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { message: text(e?.message) ?? String(err), code: text(e?.code), detail: text(e?.detail), constraint: text(e?.constraint), table: text(e?.table), column: text(e?.column) };
}

async function answer(db: PGlite, request: ThreadRequest): Promise<Omit<ThreadAnswer, 'id'>> {
  switch (request.op) {
    case 'query': {
      const res = await db.query(request.text, request.params as unknown[] | undefined, { parsers });
      return { rows: res.rows as object[], affectedRows: res.affectedRows ?? 0 };
    }
    case 'exec':
      await db.exec(request.text);
      return {};
    case 'listen':
      if (!listeners.has(request.text)) {
        listeners.set(request.text, await db.listen(request.text, (payload) => port.postMessage({ notify: request.text, payload })));
      }
      return {};
    case 'unlisten':
      await listeners.get(request.text)?.();
      listeners.delete(request.text);
      return {};
    case 'close':
      await db.close();
      return {};
  }
}

try {
  // pg_trgm: migration 0019 indexes the incident list's text search with it.
  const db = await PGlite.create({ dataDir, extensions: { pg_trgm } });
  // Requests run one after another, in the order they came: the main thread relies on it for its
  // transactions (BEGIN, statements, COMMIT, with nothing of anyone else's in between).
  let tail = Promise.resolve();
  port.on('message', (request: ThreadRequest) => {
    tail = tail.then(async () => {
      try {
        port.postMessage({ id: request.id, ...(await answer(db, request)) });
      } catch (err) {
        port.postMessage({ id: request.id, error: errorFields(err) });
      }
      if (request.op === 'close') port.close();
    });
  });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ ready: false, error: errorFields(err) });
}
