import type { IncomingMessage } from 'node:http';

/**
 * True when a request comes from a page of this server, or says nothing of where it comes from (as
 * curl does not). Browsers send Origin with every cross-origin POST (and Sec-Fetch-Site), so a page
 * elsewhere cannot make a browser on this host change anything through firebreak.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return req.headers['sec-fetch-site'] === undefined || req.headers['sec-fetch-site'] === 'same-origin';
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
