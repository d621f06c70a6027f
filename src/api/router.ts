import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { readBody } from '../http/body.js';
import { HttpError, sendJson } from '../http/respond.js';
import type { Caller } from './callers.js';

/** What a route handler is given: the caller and its validated path parameters, query and body. */
export interface RouteInput<P, Q, B> {
  caller: Caller;
  params: P;
  query: Q;
  body: B;
  req: IncomingMessage;
  res: ServerResponse;
}

/** One API route: its method, path (`/incidents/{ref}`), schemas, and handler. */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: 'GET' | 'POST';
  /** Below /api/v1; `{name}` is a path parameter. */
  path: string;
  summary: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The schema of a 200 answer, for the OpenAPI document. */
  answer?: z.ZodType;
  /**
   * Returns the JSON answer (status 200), or undefined when the handler wrote the response itself
   * (a download, an event stream).
   */
  handle(input: RouteInput<P, Q, B>): Promise<unknown>;
}

/** A route, typed by its schemas. */
export const route = <P, Q, B>(r: Route<P, Q, B>): Route => r as unknown as Route;

const API_BODY_MAX = 64 * 1024;

interface Compiled {
  route: Route;
  pattern: RegExp;
  names: string[];
}

/** The routes, matched by method and path; each request's parts validated against their schemas. */
export function createRouter(routes: readonly Route[]) {
  const compiled: Compiled[] = routes.map((r) => {
    const names: string[] = [];
    const source = r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { route: r, pattern: new RegExp(`^${source}$`), names };
  });

  /** The route and raw path parameters of a request, or the error that says why there is none. */
  function match(method: string, path: string): { route: Route; params: Record<string, string> } {
    const candidates = compiled.filter((c) => c.pattern.test(path));
    if (!candidates.length) throw new HttpError(404, 'not_found', `no route ${method} /api/v1${path}`);
    const found = candidates.find((c) => c.route.method === method);
    if (!found) {
      const allowed = [...new Set(candidates.map((c) => c.route.method))].join(', ');
      throw new HttpError(405, 'method_not_allowed', `use ${allowed}`, {}, { allow: allowed });
    }
    const values = found.pattern.exec(path)!.slice(1);
    const params = Object.fromEntries(found.names.map((n, i) => {
      try {
        return [n, decodeURIComponent(values[i]!)];
      } catch {
        throw new HttpError(400, 'invalid_request', `path parameter ${n} is not valid percent-encoding`, { field: n });
      }
    }));
    return { route: found.route, params };
  }

  async function dispatch(caller: Caller, req: IncomingMessage, res: ServerResponse, path: string, search: URLSearchParams): Promise<void> {
    const { route: r, params } = match(req.method ?? 'GET', path);
    const input: RouteInput<unknown, unknown, unknown> = {
      caller, req, res,
      params: parse(r.params, params, 'path'),
      query: parse(r.query, Object.fromEntries(search), 'query'),
      body: r.body ? parse(r.body, await readJson(req), 'body') : undefined,
    };
    const answer = await r.handle(input);
    if (answer !== undefined) sendJson(res, 200, answer);
  }

  /**
   * Runs a route for another front-end (the console's forms) as `caller`: the same validation,
   * checks and code; returns the answer, or throws the HttpError the API would have answered.
   */
  async function invoke(
    caller: Caller, req: IncomingMessage, res: ServerResponse, method: 'GET' | 'POST', path: string, o: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<unknown> {
    const { route: r, params } = match(method, path);
    return r.handle({
      caller, req, res, params: parse(r.params, params, 'path'), query: parse(r.query, o.query ?? {}, 'query'), body: parse(r.body, o.body ?? {}, 'body'),
    });
  }

  return { dispatch, invoke, routes };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const raw = (await readBody(req, API_BODY_MAX)).toString('utf8');
  if (!raw.trim()) return {};
  if (type !== 'application/json') throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

/** Validates one part of a request; a 400 names the first wrong field and says what is wrong with it. */
function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'path' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  // A query parameter is named as a whole (`severity`, not the item of its list that is wrong).
  const path = where === 'query' ? issue.path.slice(0, 1) : issue.path;
  const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : path.map(String).join('.') || where;
  throw new HttpError(400, 'invalid_request', `${where} ${field}: ${issue.message}`, { field, in: where });
}
