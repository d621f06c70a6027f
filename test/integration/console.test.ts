import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { appendTimeline } from '../../src/incidents/timeline.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { ALICE, API_TOKENS, BOB, callApi } from '../support/api.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { alertBody } from '../support/playbooks.js';
import { incidents, timeline } from '../support/state.js';

/** A browser of the tests: keeps its cookie, sends forms as a browser of this origin does. */
class Browser {
  cookie = '';
  constructor(private readonly base: string) {}
  async get(path: string) {
    const res = await fetch(`${this.base}${path}`, { headers: { cookie: this.cookie }, redirect: 'manual' });
    return { status: res.status, location: res.headers.get('location'), headers: res.headers, text: await res.text() };
  }
  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.base}${path}`, {
      method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base, cookie: this.cookie, ...headers },
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return { status: res.status, location: res.headers.get('location'), set, text: await res.text() };
  }
  /** The form token of a page. */
  static csrf(page: string): string {
    return /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
  }
}

const HOSTILE_TITLE = '<img src=x onerror=alert(1)>"\'`';

for (const backend of backends()) {
  describe(`the web console (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const signedIn = async (token: string) => {
      const b = new Browser(app.url);
      const form = await b.get('/sign-in');
      const res = await b.post('/sign-in', { _csrf: Browser.csrf(form.text), token });
      assert.equal(res.status, 303);
      return { browser: b, set: res.set };
    };

    before(async () => {
      database = await backend.create();
      app = await startTestApp(database, { FIREBREAK_API_TOKENS: API_TOKENS, ACCESS_COMMAND: ALICE.slack });
      await app.postWebhook(alertBody({ alertname: 'ConsoleCheckout', service: 'checkout' })); // INC-1
      await callApi(app, 'POST', '/incidents', { body: { title: HOSTILE_TITLE, severity: 'sev2' } }); // INC-2
    });
    after(async () => {
      await app.close();
      await database.close();
    });

    test('not signed in: pages send to the sign-in form; a wrong token is refused; the cookie is HttpOnly and SameSite=Strict', async () => {
      const anonymous = new Browser(app.url);
      const home = await anonymous.get('/');
      assert.equal(home.status, 303);
      assert.equal(home.location, '/sign-in');
      const form = await anonymous.get('/sign-in');
      assert.match(form.text, /<input type="password" id="token" name="token"/);
      const wrong = await anonymous.post('/sign-in', { _csrf: Browser.csrf(form.text), token: 'not-a-token-at-all' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.set, null);
      const { set } = await signedIn(BOB.token);
      assert.match(set!, /^firebreak_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    });

    test('the list and an incident page, with every untrusted text escaped and the security headers set', async () => {
      const { browser } = await signedIn(BOB.token);
      const list = await browser.get('/');
      assert.equal(list.status, 200);
      assert.match(list.text, /<a href="\/incidents\/INC-1">INC-1<\/a>/);
      assert.ok(list.text.includes('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&#96;'));
      assert.ok(!list.text.includes(HOSTILE_TITLE));
      assert.match(list.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      const filtered = await browser.get('/?q=ConsoleCheck');
      assert.ok(filtered.text.includes('INC-1') && !filtered.text.includes('INC-2'));
      const page = await browser.get('/incidents/INC-2');
      assert.equal(page.status, 200);
      assert.ok(page.text.includes('<h1>INC-2: &lt;img src=x onerror=alert(1)&gt;&quot;&#39;&#96;</h1>'));
      assert.match(page.text, /data-incident="INC-2"/);
      assert.equal((await browser.get('/incidents/INC-999')).status, 404);
    });

    test('the command box runs /incident syntax through the API\'s rules: allowed changes land, refusals name the permission', async () => {
      const { browser } = await signedIn(BOB.token);
      const csrf = Browser.csrf((await browser.get('/incidents/INC-1')).text);
      const ack = await browser.post('/command', { _csrf: csrf, ref: 'INC-1', text: 'ack' });
      assert.equal(ack.status, 303);
      assert.equal(ack.location, '/incidents/INC-1');
      const note = await browser.post('/command', { _csrf: csrf, ref: 'INC-1', text: 'note <b>checking</b> the pods' });
      assert.equal(note.status, 303);
      const resolve = await browser.post('/command', { _csrf: csrf, ref: 'INC-1', text: 'resolve' });
      assert.equal(resolve.status, 403);
      assert.match(resolve.text, /Not allowed \(you may not resolve incidents\): needs the &quot;command&quot; permission; held by U0ALICE/);
      const bad = await browser.post('/command', { _csrf: csrf, ref: 'INC-1', text: 'sev 9' });
      assert.equal(bad.status, 400);
      const events = await timeline(database.db, 1);
      assert.deepEqual(events.filter((e) => e.kind === 'incident.status_changed').map((e) => [e.actor, e.data.to]), [['api:bob', 'acknowledged']]);
      assert.deepEqual(events.filter((e) => e.kind === 'incident.note').map((e) => e.summary), ['<b>checking</b> the pods']);
      assert.ok((await browser.get('/incidents/INC-1')).text.includes('&lt;b&gt;checking&lt;/b&gt; the pods'));
    });

    test('a long timeline: the page shows the newest 500 and links the whole, which the cookie opens page by page', async () => {
      const { browser } = await signedIn(BOB.token);
      const { rows } = await database.db.query<{ id: number }>('SELECT id FROM incidents WHERE number = 2');
      assert.ok(!(await browser.get('/incidents/INC-2')).text.includes('id="timeline-cut"'), 'a short timeline is shown whole');
      await database.db.transaction((tx) => appendTimeline(tx, Array.from({ length: 520 }, (_, i) => ({
        incidentId: rows[0]!.id, at: new Date(), kind: 'incident.note' as const, actor: 'api:test', summary: `entry ${i}`,
      }))));
      const total = (await timeline(database.db, 2)).length;
      const page = (await browser.get('/incidents/INC-2')).text;
      assert.ok(page.includes(`The newest 500 of ${total} events.`));
      assert.equal((page.split('<ol id="timeline">')[1]!.split('</ol>')[0]!.match(/<li /g) ?? []).length, 500);
      const link = /<a href="([^"]+)">as JSON, a page at a time<\/a>/.exec(page)![1]!;
      assert.equal(link, '/api/v1/incidents/INC-2/timeline?limit=1000');
      const whole = JSON.parse((await browser.get(link)).text) as { events: unknown[]; next: number | null };
      assert.equal(whole.events.length, total);
      assert.equal(whole.next, null);
    });

    test('forms without the session\'s token, or from another site, change nothing', async () => {
      const { browser } = await signedIn(ALICE.token);
      const before = (await incidents(database.db)).find((i) => i.number === 2)!.status;
      const other = await signedIn(BOB.token);
      const bobsToken = Browser.csrf((await other.browser.get('/')).text);
      for (const [form, headers] of [
        [{ ref: 'INC-2', text: 'resolve' }, {}],
        [{ _csrf: bobsToken, ref: 'INC-2', text: 'resolve' }, {}],
        [{ _csrf: Browser.csrf((await browser.get('/')).text), ref: 'INC-2', text: 'resolve' }, { origin: 'https://evil.example' }],
      ] as const) {
        const res = await browser.post('/command', form, headers);
        assert.equal(res.status, 403, JSON.stringify(form));
      }
      assert.equal((await incidents(database.db)).find((i) => i.number === 2)!.status, before);
      // The cookie alone does not sign a change in through the API either.
      const viaApi = await fetch(`${app.url}/api/v1/incidents/INC-2/resolve`, { method: 'POST', headers: { cookie: browser.cookie } });
      assert.equal(viaApi.status, 401);
      const readViaApi = await fetch(`${app.url}/api/v1/incidents/INC-2`, { headers: { cookie: browser.cookie } });
      assert.equal(readViaApi.status, 200, 'reads (the live view\'s stream) do sign in with the cookie');
    });

    test('sign out clears the cookie', async () => {
      const { browser } = await signedIn(BOB.token);
      const out = await browser.post('/sign-out', { _csrf: Browser.csrf((await browser.get('/')).text) });
      assert.equal(out.status, 303);
      assert.match(out.set!, /Max-Age=0/);
      assert.equal((await browser.get('/')).status, 303);
    });
  });
}
