import cron from 'node-cron';
import type { Db } from '../db/db.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/** A recurring task. `schedule` is a node-cron expression (with seconds: six fields). */
export interface ScheduledTask {
  name: string;
  schedule: string;
  run(at: Date): Promise<void>;
}

/**
 * node-cron's run coordinator over Postgres: the first replica to insert a slot's key runs that
 * slot; the others see the conflict and skip it. Keys are `<task name>:<slot time>`.
 */
export function postgresRunCoordinator(db: Db) {
  return {
    async shouldRun(key: string): Promise<boolean> {
      const { rowCount } = await db.query('INSERT INTO scheduler_runs (key) VALUES ($1) ON CONFLICT (key) DO NOTHING', [key]);
      return rowCount === 1;
    },
  };
}

/** Starts the tasks; each slot runs on one replica only. Returns the function that stops them. */
export function startScheduler(db: Db, logger: Logger, tasks: readonly ScheduledTask[]): () => Promise<void> {
  const log = logger.child({ part: 'scheduler' });
  const coordinator = postgresRunCoordinator(db);
  const cronLogger = {
    info: (m: string) => log.debug(m),
    warn: (m: string) => log.warn(m),
    error: (m: string | Error) => log.error({ err: describeError(m) }, 'scheduler error'),
    debug: () => {},
  };
  const scheduled = tasks.map((task) =>
    cron.schedule(task.schedule, async (ctx) => {
      try {
        await task.run(ctx.date);
      } catch (err) {
        log.warn({ task: task.name, err: describeError(err) }, 'scheduled task failed; it runs again at its next slot');
      }
    }, { name: task.name, noOverlap: true, distributed: true, runCoordinator: coordinator, logger: cronLogger, unref: true }));
  return async () => {
    for (const s of scheduled) await s.destroy();
  };
}
