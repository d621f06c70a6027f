import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopback } from '../lib/loopback.js';
import { HttpError } from './respond.js';

// Hashing both sides first gives equal lengths, so the comparison's time says nothing about the token.
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * A webhook's authentication (Alertmanager's; Grafana's with its own token, `tokenVariable`): `Authorization: Bearer <token>` compared in constant time.
 * With no token configured, firebreak listens on a loopback address only (config.ts) and accepts
 * clients on this host only, unless `unauthenticated` (ALERTMANAGER_WEBHOOK_UNAUTHENTICATED=true)
 * says that anyone who can reach it may send alerts.
 */
export function checkWebhookAuth(req: IncomingMessage, token: string | undefined, unauthenticated = false, tokenVariable = 'ALERTMANAGER_WEBHOOK_TOKEN'): void {
  if (token === undefined) {
    if (!unauthenticated && !isLoopback(req.socket.remoteAddress)) {
      throw new HttpError(403, 'forbidden', `webhooks from other hosts need ${tokenVariable} to be set on firebreak`);
    }
    return;
  }
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!match || !timingSafeEqual(digest(match[1]!.trim()), digest(token))) {
    throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token', {}, { 'www-authenticate': 'Bearer realm="firebreak"' });
  }
}
