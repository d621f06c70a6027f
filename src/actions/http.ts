import type { ActionParams } from '../playbooks/action-params.js';
import { ActionFailure, type Action } from '../runner/action.js';
import { readCapped } from './read-capped.js';

export interface HttpActionDeps {
  fetch: typeof fetch;
  /** Hosts steps may call: `deploy.internal`, `deploy.internal:8443`, or `*.internal` for subdomains. */
  allowedHosts: readonly string[];
  /** Response bytes kept. */
  maxBytes: number;
}

/** Whether a URL's host is on the allow-list. */
export function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    if (e.startsWith('*.')) return host.endsWith(e.slice(1)) && host.length > e.length - 1;
    return e === host || e === url.host.toLowerCase();
  });
}

/** `http`: one request to an allow-listed host; the status must be the expected one; the response is kept. */
export function createHttpAction(deps: HttpActionDeps): Action {
  return {
    async run(raw, ctx) {
      const p = raw as ActionParams['http'];
      // Templates' values arrive percent-encoded (escaping.ts); these guard URLs from anywhere else.
      // The URL parser drops tabs and line breaks, which would hide a dot segment from the check below.
      if (/[\x00-\x20\x7f]/.test(p.url)) {
        throw new ActionFailure('http: the URL holds a space or a control character; nothing was sent', { retryable: false });
      }
      const url = new URL(p.url);
      // A value like "../admin" must not walk the path elsewhere on an allowed host.
      if (/(^|[/\\])(\.|%2e){1,2}([/\\?#]|$)/i.test(p.url.replace(/^[a-z]+:\/\/[^/]*/i, ''))) {
        throw new ActionFailure(`http: the URL path has a . or .. segment (from a template value?); nothing was sent`, { retryable: false });
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ActionFailure(`http: ${url.protocol} URLs are not allowed`, { retryable: false });
      if (!hostAllowed(url, deps.allowedHosts)) {
        throw new ActionFailure(
          `http: ${url.host} is not in HTTP_ACTION_ALLOWED_HOSTS${deps.allowedHosts.length ? ` (${deps.allowedHosts.join(', ')})` : ', which is empty'}; nothing was sent`,
          { retryable: false },
        );
      }
      const json = p.body !== undefined && typeof p.body !== 'string';
      const headers = { ...(json ? { 'content-type': 'application/json' } : {}), ...p.headers };
      let res: Response;
      try {
        // Redirects are not followed: a redirect could lead off the allow-list.
        res = await deps.fetch(url, {
          method: p.method, headers, body: json ? JSON.stringify(p.body) : (p.body as string | undefined), redirect: 'manual', signal: ctx.signal,
        });
      } catch (err) {
        throw new ActionFailure(`http: ${p.method} ${url.origin}${url.pathname} failed: ${(err as Error).message}`, { retryable: true, cause: err });
      }
      const body = await readCapped(res.body, deps.maxBytes);
      const contentType = res.headers.get('content-type') ?? '';
      let parsed: unknown = body.text;
      if (/json/i.test(contentType) && !body.truncated) {
        try {
          parsed = JSON.parse(body.text);
        } catch { /* kept as text */ }
      }
      const evidence = {
        mediaType: 'application/json',
        body: JSON.stringify({ request: { method: p.method, url: p.url }, status: res.status, contentType, body: body.text }, null, 2),
      };
      const expected = p.expect_status === undefined ? null : [p.expect_status].flat();
      const ok = expected ? expected.includes(res.status) : res.status >= 200 && res.status < 300;
      if (!ok) {
        throw new ActionFailure(`http: ${p.method} ${url.origin}${url.pathname} answered ${res.status}, expected ${expected ? expected.join(' or ') : '2xx'}`, {
          retryable: res.status >= 500 || res.status === 429, evidence,
        });
      }
      return { output: { status: res.status, body: parsed }, evidence, summary: `${p.method} ${url.host}${url.pathname} → ${res.status}` };
    },
  };
}
