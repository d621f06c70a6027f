import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './respond.js';

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

// Hashing both sides first gives equal lengths, so the comparison's time says nothing about the token.
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Alertmanager's webhook authentication: `Authorization: Bearer <token>` compared in constant time.
 * With no token configured, only clients on this host are accepted.
 */
export function checkWebhookAuth(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) {
    if (!isLoopback(req.socket.remoteAddress)) {
      throw new HttpError(403, 'forbidden', 'webhooks from other hosts need ALERTMANAGER_WEBHOOK_TOKEN to be set on firebreak');
    }
    return;
  }
  const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!match || !timingSafeEqual(digest(match[1]!.trim()), digest(token))) {
    throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token', {}, { 'www-authenticate': 'Bearer realm="firebreak"' });
  }
}
