import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccess } from './access/guard.js';
import { createApi } from './api/api.js';
import type { Config } from './config/config.js';
import { migrate, pendingMigrations } from './db/migrate.js';
import { openDatabase } from './db/open.js';
import { sendJson } from './http/respond.js';
import { countOpenIncidentsBySeverity } from './incidents/queries.js';
import { systemClock } from './lib/clock.js';
import { ErrorCode, FirebreakError } from './lib/errors.js';
import type { Logger } from './lib/logger.js';
import { createMetrics } from './lib/metrics.js';

/** The API's reads on a loopback port of this process, over the database. */
export interface LocalApi {
  url: string;
  close(): Promise<void>;
}

const NEEDS_SERVER = 'changes need the running server (it runs what they start)';

/**
 * What the `firebreak` command reads from when no server answers: the API itself, its read routes
 * only, on a loopback port of this process, with FIREBREAK_API_TOKENS and the access policy of this
 * environment. The same queries, answers and checks as the server's, so the command prints the same.
 */
export async function startLocalApi(config: Config, logger: Logger): Promise<LocalApi> {
  const db = await openDatabase(config.database, logger);
  try {
    await migrate(db);
    const api = createApi({
      db, clock: systemClock, logger, routes: config.routes, pagerServices: undefined,
      metrics: createMetrics(() => countOpenIncidentsBySeverity(db), () => pendingMigrations(db)),
      access: createAccess(config.access, undefined),
      // Never reached: only reads are let through below.
      queue: { enqueue: () => Promise.reject(new FirebreakError(ErrorCode.JobInvalid, NEEDS_SERVER)) },
      registry: { current: () => [], find: () => undefined, matchesAny: () => false, problems: () => [], reload: () => Promise.resolve() },
    }, { tokens: config.apiTokens, demo: false, version: '1' });
    const server = createServer((req, res) => {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'method_not_allowed', message: NEEDS_SERVER });
      api.handle(req, res).catch((err: unknown) => {
        logger.error({ err: (err as Error).message }, 'a read from the database failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: 'internal error' });
        else res.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      async close() {
        await api.close();
        await new Promise((resolve) => server.close(resolve));
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
