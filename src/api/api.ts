import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiToken } from '../config/config.js';
import { HttpError, sendJson } from '../http/respond.js';
import { sameOrigin } from '../http/same-origin.js';
import { actionRoutes } from './action-routes.js';
import { createCallers, type Caller } from './callers.js';
import { requestKeyOf, type ApiDeps } from './deps.js';
import { createEventHub } from './events.js';
import { allow } from './guard.js';
import { incidentOr404, incidentReadRoutes } from './incident-routes.js';
import { jobRoutes } from './job-routes.js';
import { openApiDocument } from './openapi.js';
import { createRouter, route } from './router.js';
import { eventsQuery } from './schemas.js';

export const API_PREFIX = '/api/v1';

/** The HTTP API under /api/v1: its handler, who a request comes from (for the console), and its stop. */
export interface Api {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Runs a route as `caller` for the console's forms: its answer, or the HttpError it refused with. */
  invoke(
    caller: Caller, req: IncomingMessage, res: ServerResponse, method: 'GET' | 'POST', path: string, o?: { query?: Record<string, string>; body?: unknown },
  ): Promise<unknown>;
  callers: ReturnType<typeof createCallers>;
  /** Ends the event streams. */
  close(): Promise<void>;
}

/** The console's sign-in cookie: the token, HttpOnly and SameSite=Strict. */
export const SESSION_COOKIE = 'firebreak_session';

/** A cookie's value from the Cookie header. */
export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export function createApi(base: Omit<ApiDeps, 'requestKey'>, o: { tokens: readonly ApiToken[]; demo: boolean; version: string }): Api {
  const deps: ApiDeps = { ...base, requestKey: requestKeyOf };
  const callers = createCallers(o.tokens, { demo: o.demo });
  const hub = createEventHub(deps.db, deps.logger);
  const routes = [
    ...incidentReadRoutes(deps),
    ...actionRoutes(deps),
    ...jobRoutes(deps),
    route({
      method: 'GET', path: '/events', summary: 'Server-sent events (`event: timeline`) of timeline appends, optionally of one incident; resumes from Last-Event-ID',
      query: eventsQuery,
      async handle({ caller, query, req, res }) {
        await allow(deps, caller, 'timeline', { place: null, write: false, requestKey: deps.requestKey(req, caller) });
        const incidentId = query.incident === undefined ? undefined : (await incidentOr404(deps, query.incident)).id;
        const header = req.headers['last-event-id'];
        const after = typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : query.after;
        await hub.subscribe(res, { incidentId, after });
        return undefined;
      },
    }),
  ];
  const router = createRouter(routes);
  const document = openApiDocument(routes, o.version);

  const answerError = (res: ServerResponse, err: unknown) => {
    if (!(err instanceof HttpError)) throw err;
    if (res.headersSent) return void res.destroy();
    sendJson(res, err.status, { error: err.code, message: err.message, ...err.extra }, err.headers);
  };

  return {
    callers,
    invoke: router.invoke,
    async handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://firebreak');
      const path = url.pathname.slice(API_PREFIX.length) || '/';
      try {
        if (!url.pathname.startsWith(`${API_PREFIX}/`)) throw new HttpError(404, 'not_found', `the API is under ${API_PREFIX}/`);
        // The document says what the API is; it needs no token.
        if (path === '/openapi.json' && req.method === 'GET') return sendJson(res, 200, document);
        // The console's cookie signs in reads only (its live view's event stream, chart images):
        // a change through the API always carries its token in the Authorization header, so a
        // page elsewhere cannot make a signed-in browser change anything.
        const caller = callers.identify(req, req.method === 'GET' ? cookieValue(req, SESSION_COOKIE) : undefined);
        // In demo mode a browser on this host may change things without a token: never for a page elsewhere.
        if (req.method !== 'GET' && !sameOrigin(req)) throw new HttpError(403, 'forbidden', 'requests from pages of other sites change nothing here');
        await router.dispatch(caller, req, res, path, url.searchParams);
      } catch (err) {
        answerError(res, err);
      }
    },
    close: () => hub.close(),
  };
}
