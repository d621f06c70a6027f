import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { appendTimeline } from '../../src/incidents/timeline.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { ALICE, API_TOKENS, BOB, callApi } from '../support/api.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { FakeHttp } from '../support/fake-http.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { incidents, timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';

const PLAYBOOK = (deploy: FakeHttp) => ({
  'gated.yml': `name: gated
match: ['alertname="GatedTest"']
steps:
  - id: restart
    action: http
    approval: { approvers: [U0ALICE] }
    with: { method: POST, url: "${deploy.url}restart/{{ alert.labels.service }}" }
`,
});

for (const backend of backends()) {
  describe(`the HTTP API (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let deploy: FakeHttp;
    const api = (method: string, path: string, o?: Parameters<typeof callApi>[3]) => callApi(app, method, path, o);
    const open = async (alertname: string, labels: Record<string, string> = {}) => {
      const before = (await incidents(database.db)).length;
      assert.equal((await app.postWebhook(alertBody({ alertname, ...labels }))).status, 200);
      return before + 1; // the incident's number
    };

    before(async () => {
      database = await backend.create();
      deploy = await FakeHttp.start();
      deploy.route('POST /restart/checkout', () => ({ status: 200, body: { restarted: 'checkout' } }));
      app = await startTestApp(database, {
        FIREBREAK_API_TOKENS: API_TOKENS, ACCESS_COMMAND: ALICE.slack, ACCESS_RUN: ALICE.slack,
        PLAYBOOKS_DIR: playbookDir(PLAYBOOK(deploy)), HTTP_ACTION_ALLOWED_HOSTS: deploy.host,
      });
    });
    after(async () => {
      await app.close();
      await deploy.close();
      await database.close();
    });

    test('the OpenAPI document lists every route with the schemas it validates, without a token', async () => {
      const { status, body } = await api('GET', '/openapi.json', { token: null });
      assert.equal(status, 200);
      assert.equal(body.openapi, '3.1.0');
      for (const path of ['/api/v1/incidents', '/api/v1/incidents/{ref}', '/api/v1/incidents/{ref}/evidence/{id}', '/api/v1/approvals/{id}/approve',
        '/api/v1/jobs', '/api/v1/jobs/{id}/retry', '/api/v1/events', '/api/v1/incidents/{ref}/severity', '/api/v1/incidents/{ref}/timeline']) assert.ok(body.paths[path], path);
      const severity = body.paths['/api/v1/incidents/{ref}/severity'].post.requestBody.content['application/json'].schema;
      assert.deepEqual(severity.properties.severity.enum, ['sev1', 'sev2', 'sev3', 'sev4']);
      const list = body.paths['/api/v1/incidents'].get.parameters.map((p: { name: string }) => p.name);
      assert.deepEqual(list.sort(), ['cursor', 'limit', 'q', 'severity', 'since', 'status', 'until']);
    });

    test('no token or an unknown one: 401 and nothing is read; an unknown route: 404', async () => {
      const none = await api('GET', '/incidents', { token: null });
      assert.equal(none.status, 401);
      assert.equal(none.body.error, 'unauthorized');
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      const wrong = await api('GET', '/incidents', { token: `${ALICE.token}x` });
      assert.equal(wrong.status, 401);
      assert.doesNotMatch(JSON.stringify(wrong.body), /tok-alice/);
      assert.doesNotMatch(app.logs.text(), /tok-alice|tok-bob/, 'tokens are never logged');
      const missing = await api('GET', '/nothing-here');
      assert.equal(missing.status, 404);
      assert.equal((await api('DELETE', '/incidents')).status, 405);
    });

    test('the list filters by status, severity, text in the title or labels and time, with 400 naming a wrong field', async () => {
      const a = await open('ApiListCheckout', { service: 'checkout-eu', severity: 'critical' });
      const b = await open('ApiListPayments', { service: 'payments' });
      await api('POST', `/incidents/INC-${b}/ack`, { body: {} });
      const refs = async (query: string) => {
        const r = await api('GET', `/incidents?${query}`);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body.incidents.map((i: { ref: string }) => i.ref) as string[];
      };
      assert.deepEqual(await refs('q=checkout-EU'), [`INC-${a}`], 'found in a label value, case-insensitively');
      assert.deepEqual(await refs('q=ApiListPay'), [`INC-${b}`], 'found in the title');
      assert.ok((await refs('status=acknowledged')).includes(`INC-${b}`));
      assert.ok(!(await refs('status=acknowledged')).includes(`INC-${a}`));
      assert.ok((await refs('status=triggered,acknowledged&q=ApiList')).length === 2);
      const sev = (await api('GET', `/incidents/INC-${a}`)).body.incident.severity as string;
      assert.ok((await refs(`severity=${sev}&q=ApiListCheckout`)).includes(`INC-${a}`));
      assert.deepEqual(await refs('q=ApiList&since=2999-01-01T00:00:00Z'), []);
      assert.deepEqual((await refs('q=ApiList&until=2999-01-01T00:00:00Z')).length, 2);
      assert.deepEqual(await refs('q=%25'), [], 'a LIKE wildcard is taken literally');
      // The index finds candidates in title, labels and group labels joined by spaces; each field must match on its own.
      const title = (await api('GET', `/incidents/INC-${a}`)).body.incident.title as string;
      assert.ok((await refs(`q=${encodeURIComponent(title)}`)).includes(`INC-${a}`), 'the whole title is found');
      assert.deepEqual(await refs(`q=${encodeURIComponent(`${title} {`)}`), [], 'text across the title and the labels is no match');

      for (const [query, field] of [['severity=sev9', 'severity'], ['status=open', 'status'], ['limit=0', 'limit'], ['limit=abc', 'limit'],
        ['since=yesterday', 'since'], ['cursor=%21%21', 'cursor'], ['colour=red', 'colour']] as const) {
        const r = await api('GET', `/incidents?${query}`);
        assert.equal(r.status, 400, query);
        assert.equal(r.body.field, field, query);
        assert.match(r.body.message, new RegExp(field), query);
      }
    });

    test('cursor pagination is stable while incidents are opened between pages', async () => {
      const opened: number[] = [];
      for (let i = 0; i < 5; i++) opened.push(await open(`ApiPage${i}`));
      const seen: string[] = [];
      let page = await api('GET', '/incidents?q=ApiPage&limit=2');
      seen.push(...page.body.incidents.map((i: { ref: string }) => i.ref));
      await open('ApiPageLate1'); // newer than everything listed: must not shift what follows
      await open('ApiPageLate2');
      while (page.body.next) {
        page = await api('GET', `/incidents?q=ApiPage&limit=2&cursor=${page.body.next}`);
        assert.equal(page.status, 200);
        seen.push(...page.body.incidents.map((i: { ref: string }) => i.ref));
      }
      assert.deepEqual(seen, opened.reverse().map((n) => `INC-${n}`), 'each incident once, newest first, none of the late ones');
    });

    test('one incident: its facts, alerts, timeline with the chain verified; 404 and 400 for a wrong reference', async () => {
      const n = await open('ApiOne', { service: 'search' });
      const { status, body } = await api('GET', `/incidents/INC-${n}`);
      assert.equal(status, 200);
      assert.equal(body.incident.ref, `INC-${n}`);
      assert.equal(body.incident.commonLabels.service, 'search');
      assert.equal(body.alerts.length, 1);
      assert.equal(body.alerts[0].labels.alertname, 'ApiOne');
      assert.equal(body.timeline.verified, true);
      assert.equal(body.timeline.brokenAtSeq, null);
      assert.equal(body.timeline.events[0].kind, 'incident.opened');
      assert.equal(body.timeline.total, (await timeline(database.db, n)).length);
      assert.equal((await api('GET', `/incidents/${n}`)).body.incident.ref, `INC-${n}`, 'a bare number names it too');

      const missing = await api('GET', '/incidents/INC-99999');
      assert.equal(missing.status, 404);
      assert.match(missing.body.message, /no incident INC-99999/);
      const bad = await api('GET', '/incidents/checkout');
      assert.equal(bad.status, 400);
      assert.equal(bad.body.field, 'ref');
    });

    test('actions go through /incident\'s rules: the token\'s person is the actor, a refusal is 403 naming the permission and changes nothing', async () => {
      const n = await open('ApiActions');
      const ack = await api('POST', `/incidents/INC-${n}/ack`, { token: BOB.token });
      assert.equal(ack.status, 200, JSON.stringify(ack.body));
      assert.equal(ack.body.incident.status, 'acknowledged');
      const refused = await api('POST', `/incidents/INC-${n}/resolve`, { token: BOB.token });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.permission, 'command');
      assert.match(refused.body.message, /needs the "command" permission; held by U0ALICE/);
      assert.equal((await incidents(database.db)).find((i) => i.number === n)!.status, 'acknowledged', 'the refusal changed nothing');

      const note = await api('POST', `/incidents/INC-${n}/notes`, { token: BOB.token, body: { text: 'looking at <the> *dashboards*' } });
      assert.equal(note.status, 200);
      const sev = await api('POST', `/incidents/INC-${n}/severity`, { body: { severity: 'sev1' } });
      assert.equal(sev.status, 200);
      assert.equal(sev.body.incident.severity, 'sev1');
      const resolved = await api('POST', `/incidents/INC-${n}/resolve`);
      assert.equal(resolved.body.incident.status, 'resolved');
      const again = await api('POST', `/incidents/INC-${n}/ack`, { token: BOB.token });
      assert.equal(again.status, 409, 'a resolved incident is not acknowledged');

      const events = await timeline(database.db, n);
      const of = (kind: string) => events.filter((e) => e.kind === kind).map((e) => e.actor);
      assert.deepEqual(of('incident.status_changed'), ['api:bob', 'U0ALICE']);
      assert.deepEqual(of('access.refused'), ['api:bob']);
      assert.deepEqual(events.filter((e) => e.kind === 'incident.note').map((e) => [e.actor, e.summary]), [['api:bob', 'looking at <the> *dashboards*']]);
      assert.deepEqual(of('incident.severity_changed'), ['U0ALICE']);
    });

    test('a change asked from a page of another site is refused, token or not; a form-encoded body is not JSON', async () => {
      const n = await open('ApiCrossSite');
      const crossSite = await api('POST', `/incidents/INC-${n}/ack`, { body: {}, headers: { origin: 'https://evil.example' } });
      assert.equal(crossSite.status, 403);
      assert.match(crossSite.body.message, /pages of other sites/);
      const form = await fetch(`${app.url}/api/v1/incidents/INC-${n}/notes`, {
        method: 'POST', headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=hi',
      });
      assert.equal(form.status, 415);
      const sameSite = await api('POST', `/incidents/INC-${n}/ack`, { body: {}, headers: { origin: app.url } });
      assert.equal(sameSite.status, 200);
      assert.deepEqual((await timeline(database.db, n)).filter((e) => e.kind === 'incident.status_changed').length, 1);
    });

    test('a wrong body is a 400 naming the field, and nothing is recorded', async () => {
      const n = await open('ApiBadBodies');
      const before = (await timeline(database.db, n)).length;
      for (const [path, body, field] of [['severity', { severity: 'sev0' }, 'severity'], ['notes', {}, 'text'], ['notes', { text: '  ' }, 'text'],
        ['commander', { user: '@alice' }, 'user'], ['runs', { playbook: '../x' }, 'playbook'], ['ack', { force: true }, 'force']] as const) {
        const r = await api('POST', `/incidents/INC-${n}/${path}`, { body });
        assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
        assert.equal(r.body.field, field, path);
      }
      const json = await fetch(`${app.url}/api/v1/incidents/INC-${n}/notes`, {
        method: 'POST', headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/json' }, body: '{"text": ',
      });
      assert.equal(json.status, 400);
      assert.equal((await timeline(database.db, n)).length, before);
      const unknown = await api('POST', `/incidents/INC-${n}/runs`, { body: { playbook: 'nope' } });
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.body.known, ['gated']);
      assert.equal((await api('POST', '/incidents/INC-99999/ack', { body: {} })).status, 404);
    });

    test('declare: a new incident whose commander is the caller; a retried request with the same Idempotency-Key declares once', async () => {
      const headers = { 'idempotency-key': 'declare-once-1' };
      const first = await api('POST', '/incidents', { token: BOB.token, body: { title: 'Checkout slow <b>', severity: 'sev2' }, headers });
      const second = await api('POST', '/incidents', { token: BOB.token, body: { title: 'Checkout slow <b>', severity: 'sev2' }, headers });
      assert.equal(first.status, 200);
      assert.equal(second.body.ref, first.body.ref);
      const detail = await api('GET', `/incidents/${first.body.ref}`);
      assert.equal(detail.body.incident.commander, 'api:bob');
      assert.equal(detail.body.incident.title, 'Checkout slow <b>');
      assert.equal((await incidents(database.db)).filter((i) => i.title === 'Checkout slow <b>').length, 1);
      const noTitle = await api('POST', '/incidents', { body: { severity: 'sev2' } });
      assert.equal(noTitle.status, 400);
      assert.equal(noTitle.body.field, 'title');
    });

    test('link: the same rule as /incident link (command); the children are linked once, and a wrong link is 409 naming why', async () => {
      const [parent, child] = [await open('ApiLinkParent'), await open('ApiLinkChild')];
      const refused = await api('POST', `/incidents/INC-${parent}/links`, { token: BOB.token, body: { children: [`INC-${child}`] } });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.permission, 'command');
      const linked = await api('POST', `/incidents/INC-${parent}/links`, { token: ALICE.token, body: { children: [`INC-${child}`] } });
      assert.equal(linked.status, 200, JSON.stringify(linked.body));
      assert.deepEqual([linked.body.parent, linked.body.linked], [`INC-${parent}`, [`INC-${child}`]]);
      const again = await api('POST', `/incidents/INC-${parent}/links`, { token: ALICE.token, body: { children: [`INC-${child}`] } });
      assert.deepEqual([again.body.linked, again.body.already], [[], [`INC-${child}`]]);
      assert.equal((await timeline(database.db, child)).filter((e) => e.kind === 'incident.linked').length, 1, 'linked once');
      const self = await api('POST', `/incidents/INC-${parent}/links`, { token: ALICE.token, body: { children: [`INC-${parent}`] } });
      assert.equal(self.status, 409);
      assert.match(self.body.message, /cannot be its own child/);
      const empty = await api('POST', `/incidents/INC-${parent}/links`, { token: ALICE.token, body: { children: [] } });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.field, 'children');
    });

    test('approve: only the frozen approver set decides; the step runs and its evidence downloads with its SHA-256', async () => {
      const n = await open('GatedTest', { service: 'checkout' });
      const approval = await eventually('the approval', async () => (await api('GET', `/incidents/INC-${n}`)).body.approvals[0]);
      assert.equal(approval.status, 'pending');
      assert.equal(deploy.received.length, 0);

      const bob = await api('POST', `/approvals/${approval.id}/approve`, { token: BOB.token, body: {} });
      assert.equal(bob.status, 403);
      assert.equal(bob.body.permission, 'approve');
      assert.equal((await api('GET', `/incidents/INC-${n}`)).body.approvals[0].status, 'pending');

      const alice = await api('POST', `/approvals/${approval.id}/approve`, { body: {} });
      assert.equal(alice.status, 200, JSON.stringify(alice.body));
      assert.equal(alice.body.outcome, 'approved');
      const twice = await api('POST', `/approvals/${approval.id}/deny`, { body: {} });
      assert.equal(twice.status, 409);
      assert.equal((await api('POST', '/approvals/99999/approve', { body: {} })).status, 404);

      const detail = await eventually('the step ran', async () => {
        const d = await api('GET', `/incidents/INC-${n}`);
        return d.body.evidence.length && d.body.runs[0].steps[0].status === 'succeeded' ? d.body : undefined;
      });
      assert.equal(deploy.received.length, 1);
      const evidence = detail.evidence[0];
      const download = await fetch(`${app.url}${evidence.download}`, { headers: { authorization: `Bearer ${BOB.token}` } });
      assert.equal(download.status, 200);
      const bytes = Buffer.from(await download.arrayBuffer());
      assert.equal(createHash('sha256').update(bytes).digest('hex'), evidence.sha256);
      assert.equal(download.headers.get('x-content-sha256'), evidence.sha256);
      assert.match(download.headers.get('content-disposition') ?? '', /^attachment/);
      const kinds = (await timeline(database.db, n)).filter((e) => e.kind === 'approval.approved' || e.kind === 'access.refused').map((e) => [e.kind, e.actor]);
      assert.deepEqual(kinds, [['access.refused', 'api:bob'], ['approval.approved', 'U0ALICE']]);
      assert.equal((await api('GET', `/incidents/INC-${n}/evidence/99999`)).status, 404);
    });

    test('postmortem: drafted through the API, then read with its Markdown', async () => {
      const n = await open('ApiPostmortem');
      assert.equal((await api('GET', `/incidents/INC-${n}/postmortem`)).status, 404);
      const asked = await api('POST', `/incidents/INC-${n}/postmortem`, { token: BOB.token, body: {} });
      assert.equal(asked.status, 200);
      const draft = await eventually('the draft', async () => {
        const r = await api('GET', `/incidents/INC-${n}/postmortem`);
        return r.status === 200 ? r.body : undefined;
      });
      assert.match(draft.markdown, new RegExp(`INC-${n}`));
      assert.equal(draft.sha256, createHash('sha256').update(draft.markdown).digest('hex'));
    });

    test('jobs: failed ones listed, one queued again; retrying one that has not failed is 409; 403 without the run permission', async () => {
      const { rows } = await database.db.query<{ id: number }>(
        `INSERT INTO jobs (kind, attempts, last_error, failed_at) VALUES ('test.api-failed', 3, 'it broke', now()) RETURNING id`,
      );
      const id = rows[0]!.id;
      const failed = await api('GET', '/jobs?state=failed&kind=test.api-failed');
      assert.equal(failed.status, 200);
      assert.deepEqual(failed.body.jobs.map((j: { id: number; lastError: string }) => [j.id, j.lastError]), [[id, 'it broke']]);
      const refused = await api('POST', `/jobs/${id}/retry`, { token: BOB.token, body: {} });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.permission, 'run');
      const retried = await api('POST', `/jobs/${id}/retry`, { body: {} });
      assert.deepEqual(retried.body, { outcome: 'queued' });
      assert.equal((await api('POST', `/jobs/${id}/retry`, { body: {} })).status, 409);
      assert.equal((await api('POST', '/jobs/99999999/retry', { body: {} })).status, 404);
      assert.equal((await api('GET', '/jobs?state=stuck')).body.field, 'state');
    });

    test('events: a timeline append reaches an open stream, and one of another incident does not when filtered', async () => {
      const n = await open('ApiEvents');
      const other = await open('ApiEventsOther');
      const controller = new AbortController();
      const res = await fetch(`${app.url}/api/v1/events?incident=INC-${n}`, { headers: { authorization: `Bearer ${BOB.token}` }, signal: controller.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      const reader = res.body!.getReader();
      let text = '';
      await api('POST', `/incidents/INC-${other}/notes`, { body: { text: 'not this one' } });
      await api('POST', `/incidents/INC-${n}/notes`, { body: { text: 'streamed note' } });
      await eventually('the streamed note', async () => {
        const { value } = await reader.read();
        text += Buffer.from(value ?? new Uint8Array()).toString('utf8');
        return text.includes('streamed note');
      });
      controller.abort();
      const data = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { summary: string; incidentNumber: number });
      assert.ok(data.some((e) => e.summary === 'streamed note' && e.incidentNumber === n));
      assert.ok(!data.some((e) => e.summary === 'not this one'));
      assert.equal((await api('GET', '/events?incident=INC-99999')).status, 404);
    });

    test('timeline: the whole of a long timeline, page by page, with its verification; bad parameters name the field', async () => {
      const n = await open('ApiLongTimeline');
      const { rows } = await database.db.query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [n]);
      await database.db.transaction((tx) => appendTimeline(tx, Array.from({ length: 1_100 }, (_, i) => ({
        incidentId: rows[0]!.id, at: new Date(), kind: 'incident.note' as const, actor: 'api:test', summary: `line ${i}`,
      }))));
      const total = (await timeline(database.db, n)).length;
      assert.ok(total > 1_100);
      const seqs: number[] = [];
      let pages = 0;
      for (let after: number | null = 0; after !== null; pages++) {
        const page = await api('GET', `/incidents/INC-${n}/timeline?after=${after}&limit=1000`, { token: BOB.token });
        assert.equal(page.status, 200);
        assert.equal(page.body.verified, true);
        seqs.push(...page.body.events.map((e: { seq: number }) => e.seq));
        after = page.body.next;
      }
      assert.equal(pages, 2);
      assert.deepEqual(seqs, Array.from({ length: total }, (_, i) => i + 1));
      // The incident view keeps its newest 500 and says how many there are.
      const view = await api('GET', `/incidents/INC-${n}`);
      assert.equal(view.body.timeline.events.length, 500);
      assert.equal(view.body.timeline.total, total);
      const bad = await api('GET', `/incidents/INC-${n}/timeline?after=x`);
      assert.equal(bad.status, 400);
      assert.equal(bad.body.field, 'after');
      assert.equal((await api('GET', `/incidents/INC-${n}/timeline?limit=1001`)).body.field, 'limit');
      assert.equal((await api('GET', '/incidents/INC-99999/timeline')).status, 404);
    });

    test('events: a stream resumed with Last-Event-ID gets every missed event once and in order, more than one batch, while appends go on', async () => {
      const n = await open('ApiResume');
      const { rows } = await database.db.query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [n]);
      const incidentId = rows[0]!.id;
      const resumeFrom = (await api('GET', '/incidents?limit=1')).body.lastEventId as number;
      const note = (i: number) => ({ incidentId, at: new Date(), kind: 'incident.note' as const, actor: 'api:test', summary: `missed ${i}` });
      // Missed while away: more than the stream's batch of 1,000.
      await database.db.transaction((tx) => appendTimeline(tx, Array.from({ length: 1_250 }, (_, i) => note(i))));
      const controller = new AbortController();
      const res = await fetch(`${app.url}/api/v1/events?incident=INC-${n}`, {
        headers: { authorization: `Bearer ${BOB.token}`, 'last-event-id': String(resumeFrom) }, signal: controller.signal,
      });
      assert.equal(res.status, 200);
      // Appended while the stream opens and catches up.
      for (let i = 1_250; i < 1_300; i++) await database.db.transaction((tx) => appendTimeline(tx, [note(i)]));
      const reader = res.body!.getReader();
      let text = '';
      await eventually('every note on the stream', async () => {
        const { value } = await reader.read();
        text += Buffer.from(value ?? new Uint8Array()).toString('utf8');
        return text.includes('"missed 1299"');
      }, 30_000);
      controller.abort();
      const streamed = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { id: number; summary: string });
      const ids = text.split('\n').filter((l) => l.startsWith('id: ')).map((l) => Number(l.slice(4)));
      assert.deepEqual(streamed.map((e) => e.id), ids, 'each event carries its id');
      assert.deepEqual(streamed.filter((e) => e.summary.startsWith('missed ')).map((e) => e.summary), Array.from({ length: 1_300 }, (_, i) => `missed ${i}`));
      assert.equal(new Set(ids).size, ids.length, 'no event twice');
      assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'in order');
    });
  });
}
