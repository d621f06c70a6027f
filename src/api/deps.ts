import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { CommandDeps } from '../runner/command-deps.js';
import type { Caller } from './callers.js';

/** What the API's routes use: the parts Slack's commands are built from, and a request's idempotency key. */
export interface ApiDeps extends CommandDeps {
  /** A request's idempotency key: its Idempotency-Key header (per caller), else a fresh one. */
  requestKey(req: IncomingMessage, caller: Caller): string;
}

// Printable, no spaces: what RFC 9110 allows in a header value, bounded.
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** `api:<actor>:<Idempotency-Key>`: a client retrying a request with the same key changes nothing twice. */
export function requestKeyOf(req: IncomingMessage, caller: Caller): string {
  const given = req.headers['idempotency-key'];
  const key = typeof given === 'string' && IDEMPOTENCY_KEY.test(given) ? given : randomUUID();
  return `api:${caller.principal.actor}:${key}`;
}
