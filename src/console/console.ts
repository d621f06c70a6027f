import type { IncomingMessage, ServerResponse } from 'node:http';
import { SESSION_COOKIE, cookieValue, type Api } from '../api/api.js';
import type { Caller } from '../api/callers.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../http/respond.js';
import { incidentRef } from '../incidents/types.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { parseCommand } from '../slack/command-parse.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { html } from './html.js';
import { errorText, incidentListPage, incidentPage, layout, postmortemPage, signInPage, type Notice, type PageContext } from './pages.js';
import { sameOrigin } from '../http/same-origin.js';
import { createCsrf, sessionCookie } from './session.js';

const FORM_MAX = 16 * 1024;
const BACK = html`<p><a href="/">Back to the incidents</a></p>`;
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...SECURITY_HEADERS, ...headers });
  res.end(body);
};
const redirect = (res: ServerResponse, to: string, headers: Record<string, string> = {}) => {
  res.writeHead(303, { location: to, ...SECURITY_HEADERS, ...headers });
  res.end();
};

/**
 * The web console: server-rendered pages over the API's own routes (so every check of the API
 * applies, with the signed-in person as principal), a sign-in form that keeps the token in an
 * HttpOnly, SameSite=Strict cookie, and forms guarded against cross-site requests.
 */
export function createConsole(api: Api, o: { logger: Logger; demo: boolean }) {
  const csrf = createCsrf();

  /** Who is at the browser: the cookie's person, else (no tokens configured) the loopback reader. */
  function whoIs(req: IncomingMessage): { caller: Caller; session: string | undefined } | undefined {
    const session = cookieValue(req, SESSION_COOKIE);
    if (api.callers.open) return { caller: api.callers.identify(req), session: undefined };
    const caller = session ? api.callers.byToken(session) : undefined;
    return caller && { caller, session };
  }

  const contextOf = (req: IncomingMessage, who: { caller: Caller; session: string | undefined } | undefined): PageContext => ({
    who: who?.caller.principal.actor ?? 'not signed in',
    mayWrite: who?.caller.mayWrite ?? false,
    signedIn: who?.session !== undefined,
    tokens: !api.callers.open,
    csrf: csrf.tokenFor(who?.session),
    demo: o.demo,
  });

  async function page(req: IncomingMessage, res: ServerResponse, url: URL, who: { caller: Caller; session: string | undefined }, notice?: Notice, status = 200) {
    const ctx = contextOf(req, who);
    const path = url.pathname;
    const incident = /^\/incidents\/(INC-\d{1,9})(\/postmortem)?$/i.exec(path);
    if (path === '/') {
      const query = Object.fromEntries([...url.searchParams].filter(([k, v]) => ['q', 'status', 'severity', 'cursor'].includes(k) && v));
      const list = await api.invoke(who.caller, req, res, 'GET', '/incidents', { query });
      return send(res, status, 'text/html; charset=utf-8', layout(ctx, 'Incidents', incidentListPage(ctx, list, query), { notice, after: (list as { lastEventId: number }).lastEventId }));
    }
    if (incident && !incident[2]) {
      const detail = await api.invoke(who.caller, req, res, 'GET', `/incidents/${incident[1]}`) as { timeline: { events: { id: number }[] } };
      const after = Math.max(0, ...detail.timeline.events.map((e) => e.id));
      return send(res, status, 'text/html; charset=utf-8', layout(ctx, incident[1]!, incidentPage(ctx, detail), { notice, incident: incident[1], after }));
    }
    if (incident) {
      let draft: unknown;
      try {
        draft = await api.invoke(who.caller, req, res, 'GET', `/incidents/${incident[1]}/postmortem`);
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 404 && err.message.includes('no postmortem'))) throw err;
      }
      return send(res, status, 'text/html; charset=utf-8', layout(ctx, `${incident[1]} postmortem`, postmortemPage(incident[1]!.toUpperCase(), draft), { notice, incident: incident[1] }));
    }
    throw new HttpError(404, 'not_found', `no page ${path}`);
  }

  /** A form's action, as the API route it is: the same validation, checks and code. */
  function formAction(path: string, form: URLSearchParams): { method: 'POST'; path: string; body: Record<string, string | string[]>; back: string } | { read: string } {
    const decision = /^\/approvals\/(\d{1,15})\/(approve|deny)$/.exec(path);
    const ref = /^INC-\d{1,9}$/i.test(form.get('ref') ?? '') ? form.get('ref')!.toUpperCase() : undefined;
    if (decision) return { method: 'POST', path: `/approvals/${decision[1]}/${decision[2]}`, body: {}, back: ref ? `/incidents/${ref}` : '/' };
    if (path !== '/command') throw new HttpError(404, 'not_found', `no form ${path}`);
    // `@U123` typed in a browser is Slack's `<@U123>`.
    const parsed = parseCommand((form.get('text') ?? '').replace(/(^|\s)@([UW][A-Z0-9]{2,})(?=\s|$)/g, '$1<@$2>'));
    if (!parsed.ok) throw new HttpError(400, 'invalid_request', `${parsed.error}. Usage: ${parsed.usage}`, { field: 'text' });
    const c = parsed.command;
    const target = 'ref' in c && c.ref !== undefined ? incidentRef(c.ref) : ref;
    const back = target ? `/incidents/${target}` : '/';
    if (c.name === 'declare') return { method: 'POST', path: '/incidents', body: { title: c.title, severity: c.severity }, back: '/' };
    if (c.name === 'help' || c.name === 'list' || c.name === 'playbooks') return { read: '/' };
    if (!target) throw new HttpError(400, 'invalid_request', `name the incident, like "${c.name} INC-7"`, { field: 'text' });
    switch (c.name) {
      case 'status': case 'timeline': case 'steps': return { read: back };
      case 'ack': case 'mitigate': case 'resolve': case 'postmortem': return { method: 'POST', path: `/incidents/${target}/${c.name}`, body: {}, back };
      case 'sev': return { method: 'POST', path: `/incidents/${target}/severity`, body: { severity: c.severity }, back };
      case 'commander': return { method: 'POST', path: `/incidents/${target}/commander`, body: { user: c.user }, back };
      case 'note': return { method: 'POST', path: `/incidents/${target}/notes`, body: { text: c.text }, back };
      case 'run': return { method: 'POST', path: `/incidents/${target}/runs`, body: { playbook: c.playbook }, back };
      case 'page': return { method: 'POST', path: `/incidents/${target}/pages`, body: c.service ? { service: c.service } : {}, back };
      case 'link': return { method: 'POST', path: `/incidents/${target}/links`, body: { children: c.children.map(incidentRef) }, back };
    }
  }

  async function post(req: IncomingMessage, res: ServerResponse, url: URL) {
    const form = new URLSearchParams((await readBody(req, FORM_MAX)).toString('utf8'));
    const secure = req.headers['x-forwarded-proto'] === 'https';
    if (!sameOrigin(req)) throw new HttpError(403, 'forbidden', 'this form was sent from another site');
    if (url.pathname === '/sign-in') {
      if (!csrf.check(undefined, form.get('_csrf'))) throw new HttpError(403, 'forbidden', 'the form expired: reload the page and try again');
      const token = form.get('token') ?? '';
      if (!api.callers.byToken(token)) {
        return send(res, 401, 'text/html; charset=utf-8', layout(contextOf(req, undefined), 'Sign in', signInPage(csrf.tokenFor(undefined)),
          { notice: { error: true, text: 'Unknown token.' }, live: false }));
      }
      return redirect(res, '/', { 'set-cookie': sessionCookie(SESSION_COOKIE, token, secure) });
    }
    const who = whoIs(req);
    if (!who) return redirect(res, '/sign-in');
    if (!csrf.check(who.session, form.get('_csrf'))) throw new HttpError(403, 'forbidden', 'the form expired: reload the page and try again');
    if (url.pathname === '/sign-out') return redirect(res, '/sign-in', { 'set-cookie': sessionCookie(SESSION_COOKIE, '', secure) });
    let back = '/';
    try {
      const action = formAction(url.pathname, form);
      if ('read' in action) return redirect(res, action.read);
      back = action.back;
      await api.invoke(who.caller, req, res, action.method, action.path, { body: action.body });
      return redirect(res, action.back);
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const notice = { error: true, text: errorText(err.status, err.message, err.extra.action as string | undefined) };
      return page(req, res, new URL(back, 'http://console'), who, notice, err.status);
    }
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    try {
      if (req.method === 'GET' && url.pathname === '/console.css') return send(res, 200, 'text/css; charset=utf-8', CONSOLE_CSS, { 'cache-control': 'max-age=300' });
      if (req.method === 'GET' && url.pathname === '/console.js') return send(res, 200, 'text/javascript; charset=utf-8', CONSOLE_JS, { 'cache-control': 'max-age=300' });
      if (req.method === 'POST') return await post(req, res, url);
      if (req.method !== 'GET') throw new HttpError(405, 'method_not_allowed', 'use GET or POST');
      if (url.pathname === '/sign-in') {
        return send(res, 200, 'text/html; charset=utf-8', layout(contextOf(req, whoIs(req)), 'Sign in', signInPage(csrf.tokenFor(undefined)), { live: false }));
      }
      const who = whoIs(req);
      if (!who) return redirect(res, '/sign-in');
      return await page(req, res, url, who);
    } catch (err) {
      if (!(err instanceof HttpError)) {
        o.logger.error({ err: describeError(err), path: url.pathname }, 'console page failed');
        throw err;
      }
      if (res.headersSent) return void res.destroy();
      const ctx = contextOf(req, undefined);
      send(res, err.status, 'text/html; charset=utf-8', layout(ctx, 'Error', signInOr(err), { notice: { error: true, text: errorText(err.status, err.message, err.extra.action as string | undefined) }, live: false }));
    }
  };

  function signInOr(err: HttpError) {
    return err.status === 401 && !api.callers.open ? signInPage(csrf.tokenFor(undefined)) : BACK;
  }
}
