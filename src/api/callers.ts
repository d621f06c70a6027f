import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../access/principal.js';
import type { ApiToken } from '../config/config.js';
import { HttpError } from '../http/respond.js';
import { isLoopback } from '../lib/loopback.js';

/** Who calls the API: the person a token belongs to, or, with no tokens configured, a client on this host. */
export interface Caller {
  principal: Principal;
  /** False for the tokenless loopback caller outside demo mode: it may read, not change anything. */
  mayWrite: boolean;
}

/**
 * Demo mode's person: whoever uses the API or console on this host. The demo playbook names this
 * id as its approver, so the approver-set rules apply to the demo as they do to everyone.
 */
export const DEMO_USER = 'U0DEMO';

/** The actor of an API caller without a Slack id. */
export const apiActor = (name: string): string => `api:${name}`;

// Hashing both sides first gives equal lengths, so the comparison's time says nothing about the token.
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Tells who asks from the `Authorization: Bearer` header (or the console's cookie, handed in as
 * `presented`). Every configured token is compared, in constant time, so the time taken says
 * nothing about which one nearly matched. Tokens are never logged or echoed.
 */
export function createCallers(tokens: readonly ApiToken[], options: { demo: boolean }) {
  const known = tokens.map((t) => ({ digest: digest(t.token), principal: principalOf(t) }));

  /** The caller a presented token stands for, or undefined when it is none of them. */
  function byToken(presented: string): Caller | undefined {
    const d = digest(presented);
    let found: Principal | undefined;
    for (const k of known) if (timingSafeEqual(k.digest, d)) found = k.principal;
    return found && { principal: found, mayWrite: true };
  }

  /** Who asks: throws 401 (no or a wrong token) or 403 (no tokens configured and a client of another host). */
  function identify(req: IncomingMessage, cookieToken?: string): Caller {
    const header = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const presented = header ?? cookieToken;
    if (known.length === 0) {
      if (!isLoopback(req.socket.remoteAddress)) {
        throw new HttpError(403, 'forbidden', 'the API answers clients on this host only: set FIREBREAK_API_TOKENS to reach it from elsewhere');
      }
      return options.demo
        ? { principal: { actor: apiActor('demo'), slackUserId: DEMO_USER }, mayWrite: true }
        : { principal: { actor: apiActor('local'), slackUserId: undefined }, mayWrite: false };
    }
    const caller = presented === undefined ? undefined : byToken(presented);
    if (!caller) {
      throw new HttpError(401, 'unauthorized', presented === undefined ? 'send Authorization: Bearer <token> (FIREBREAK_API_TOKENS)' : 'unknown token',
        {}, { 'www-authenticate': 'Bearer realm="firebreak"' });
    }
    return caller;
  }

  return { identify, byToken, open: known.length === 0 };
}

export type Callers = ReturnType<typeof createCallers>;

function principalOf(t: ApiToken): Principal {
  return { actor: t.slackUserId ?? apiActor(t.name), slackUserId: t.slackUserId };
}
