import { Worker } from 'node:worker_threads';

/** A request to the embedded database's thread (pglite-worker.ts). */
export interface ThreadRequest {
  id: number;
  op: 'query' | 'exec' | 'listen' | 'unlisten' | 'close';
  /** The statement, the script, or the channel. */
  text: string;
  params?: readonly unknown[];
}

/** Its answer: rows, or the fields of the error a statement raised. */
export interface ThreadAnswer {
  id: number;
  rows?: object[];
  affectedRows?: number;
  error?: { message: string; code?: string; detail?: string; constraint?: string; table?: string; column?: string };
}

type Message = ThreadAnswer | { notify: string; payload: string } | { ready: boolean; error?: ThreadAnswer['error'] };

/** What firebreak asks of an embedded session: PGlite's own methods, or these over its thread. */
export interface EmbeddedSession {
  readonly closed: boolean;
  query<R>(text: string, params?: unknown[], options?: object): Promise<{ rows: R[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: Pick<EmbeddedSession, 'query' | 'exec'>) => Promise<T>): Promise<T>;
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** A driver error again, with the SQLSTATE (`code`) that errors.ts reads. */
function rebuild(fields: NonNullable<ThreadAnswer['error']>): Error {
  return Object.assign(new Error(fields.message), Object.fromEntries(Object.entries(fields).filter(([k, v]) => k !== 'message' && v !== undefined)));
}

// pg returns bytea as Buffer; a Buffer crosses threads as a plain Uint8Array.
const asBuffers = (rows: object[]) => {
  for (const row of rows as Record<string, unknown>[]) {
    for (const [key, value] of Object.entries(row)) {
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return rows;
};

/** The thread, running pglite-worker: built, it is .js beside this file; run from source, .ts under tsx. */
function startWorker(dataDir: string): Worker {
  const workerData = { dataDir };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData });
  // A worker does not inherit the tsx loader the main thread was started with: it registers it first.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./pglite-worker.ts', import.meta.url).href);
  return new Worker(`import(${tsx}).then(({ register }) => { register(); return import(${entry}); })`, { eval: true, workerData });
}

/**
 * Opens PGlite on `dataDir` in a worker thread and talks to it as if it were here. Statements are
 * sent one at a time: a transaction holds the session from BEGIN to COMMIT, as PGlite's own
 * `transaction` does, and a statement outside it waits for it to end.
 */
export async function openPgliteThread(dataDir: string): Promise<EmbeddedSession> {
  const worker = startWorker(dataDir);
  const pending = new Map<number, { resolve: (a: ThreadAnswer) => void; reject: (e: Error) => void }>();
  const notify = new Map<string, (payload: string) => void>();
  let nextId = 0;
  let closed = false;
  let stopped: Error | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (m: Message) => {
      if ('ready' in m) return m.ready ? resolve() : reject(rebuild(m.error!));
      if ('notify' in m) return notify.get(m.notify)?.(m.payload);
      const waiting = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) waiting?.reject(rebuild(m.error));
      else waiting?.resolve(m);
    });
    const fail = (err: Error) => {
      // Matched by errors.ts as "database unavailable": the caller answers 503 and retries later.
      stopped = new Error(`PGlite is closed: the embedded database's thread stopped (${err.message})`);
      closed = true;
      for (const p of pending.values()) p.reject(stopped);
      pending.clear();
      reject(stopped);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  });
  await ready;

  const call = (op: ThreadRequest['op'], text: string, params?: readonly unknown[]) =>
    new Promise<ThreadAnswer>((resolve, reject) => {
      if (stopped) return reject(stopped);
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, text, params } satisfies ThreadRequest);
    });
  const statements: Pick<EmbeddedSession, 'query' | 'exec'> = {
    query: async <R>(text: string, params?: unknown[]) => {
      const a = await call('query', text, params);
      return { rows: asBuffers(a.rows ?? []) as R[], affectedRows: a.affectedRows };
    },
    exec: (sql) => call('exec', sql),
  };
  // One holder of the session at a time: a lone statement or a whole transaction.
  let tail: Promise<unknown> = Promise.resolve();
  const hold = <T>(fn: () => Promise<T>): Promise<T> => {
    const turn = tail.then(fn);
    tail = turn.catch(() => {});
    return turn;
  };

  return {
    get closed() {
      return closed;
    },
    query: (text, params) => hold(() => statements.query(text, params)),
    exec: (sql) => hold(() => statements.exec(sql)),
    transaction: (fn) => hold(async () => {
      await statements.exec('BEGIN');
      try {
        const result = await fn(statements);
        await statements.exec('COMMIT');
        return result;
      } catch (err) {
        await statements.exec('ROLLBACK').catch(() => {});
        throw err;
      }
    }),
    async listen(channel, onNotify) {
      notify.set(channel, onNotify);
      await hold(() => call('listen', channel));
      return async () => {
        notify.delete(channel);
        if (!closed) await hold(() => call('unlisten', channel));
      };
    },
    async close() {
      if (closed) return;
      await hold(() => call('close', ''));
      closed = true;
      await worker.terminate();
    },
  };
}
