import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Cross-site request forgery: every console form carries a token bound to the session (an HMAC of
 * the signed-in token under a per-process key; the tokenless session of a loopback client gets its
 * own), and the Origin of a POST must be this server. SameSite=Strict on the cookie is the third wall.
 */
export function createCsrf() {
  const key = randomBytes(32);
  const of = (session: string | undefined) => createHmac('sha256', key).update(`csrf:${session ?? ''}`).digest('base64url');
  return {
    tokenFor: of,
    check(session: string | undefined, given: unknown): boolean {
      if (typeof given !== 'string') return false;
      const want = Buffer.from(of(session));
      const got = Buffer.from(given);
      return got.length === want.length && timingSafeEqual(got, want);
    },
  };
}

/** The Set-Cookie header of the session cookie (empty token: cleared). */
export function sessionCookie(name: string, token: string, secure: boolean): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : []), token ? 'Max-Age=43200' : 'Max-Age=0'];
  return `${name}=${encodeURIComponent(token)}; ${attrs.join('; ')}`;
}
