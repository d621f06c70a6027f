import type { Db } from '../../src/db/db.js';

/** A Db that a test can stall, and the stall's controls. */
export type StallableDb = Db & { stall(): void; resume(): void };

/**
 * A Db whose new calls wait while it is stalled: a process that stops (a long GC pause, a frozen
 * VM, SIGSTOP) as its database sees it, in a test's own process. Calls already under way finish;
 * the real database keeps serving everyone else.
 */
export function stallable(db: Db): StallableDb {
  let resumed: Promise<void> | undefined;
  let resume = () => {};
  const ready = () => resumed ?? Promise.resolve();
  return {
    kind: db.kind,
    query: async (text, params) => {
      await ready();
      return db.query(text, params);
    },
    exec: async (sql) => {
      await ready();
      return db.exec(sql);
    },
    transaction: async (fn, options) => {
      await ready();
      return db.transaction(fn, options);
    },
    listen: (channel, onNotify) => db.listen(channel, onNotify),
    close: () => db.close(),
    stall() {
      resumed ??= new Promise((r) => { resume = r; });
    },
    resume() {
      resumed = undefined;
      resume();
    },
  };
}
