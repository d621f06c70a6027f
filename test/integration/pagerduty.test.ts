import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { sqlStateOf } from '../../src/db/errors.js';
import { ErrorCode, type FirebreakError } from '../../src/lib/errors.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createPagerDutyClient } from '../../src/pagerduty/client.js';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakePagerDuty, trustingAgent } from '../support/fake-pagerduty.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { blockActionBody, postSlack, slashCommandBody } from '../support/slack-requests.js';
import { timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';

const DEFAULT_KEY = 'D0123456789abcdef0123456789ABCDE';
const CHECKOUT_KEY = 'C0123456789abcdef0123456789ABCDE';
const API_TOKEN = 'y_NbAkKc66ryYTWUXYEu';
const WEBHOOK_SECRET = 'whsec-test-0123456789';

const PLAYBOOKS = playbookDir({
  'oncall.yml': `name: oncall-gate
match: ['alertname="OnCallGate"']
steps:
  - id: gated
    action: wait
    approval: { approvers: [oncall] }
    with: { duration: 0s }
`,
  'page.yml': `name: page-checkout
match: ['alertname="PageFromPlaybook"']
steps:
  - id: page
    action: pagerduty.trigger
    with: { service: checkout }
`,
});

for (const backend of backends()) {
  describe(`PagerDuty (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let pd: FakePagerDuty;
    let seq = 0;
    const db = () => database.db;
    const port = () => Number(new URL(slack.url).port);
    const command = async (text: string, user = 'U0ALICE') => {
      const res = await postSlack(app.url, slashCommandBody({ text, channel_id: 'C0GENERAL', trigger_id: `pd-${++seq}`, user_id: user }, port()));
      return (await res.json()) as { response_type: string; text: string };
    };
    const open = async (labels: Record<string, string>) => {
      const res = await app.postWebhook(alertBody(labels));
      assert.equal(res.status, 200);
      const number = Number(((await res.json()) as { incidents: string[] }).incidents[0]!.slice(4));
      const { rows } = await db().query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [number]);
      return { number, id: rows[0]!.id, key: String(rows[0]!.id) };
    };
    const eventsFor = (key: string) => pd.events.filter((e) => e.body.dedup_key === key);
    const syncIdle = (id: number) => eventually('PagerDuty sync done', async () =>
      (await db().query(`SELECT 1 FROM jobs WHERE kind = 'pagerduty.sync' AND (payload->>'incidentId')::bigint = $1 AND done_at IS NULL AND failed_at IS NULL`, [id])).rows.length === 0);
    const webhook = (body: string, signature = `v1=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`) =>
      fetch(`${app.url}/webhooks/pagerduty`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pagerduty-signature': signature }, body });
    const pdEvent = (id: string, type: string, incidentKey: string) => JSON.stringify({
      event: {
        id, event_type: type, resource_type: 'incident', occurred_at: '2026-11-21T10:10:00Z',
        agent: { id: 'PJANE01', summary: 'Jane Doe', type: 'user_reference' }, client: null,
        data: { id: 'PGR0VU2', type: 'incident', number: 2, status: type.split('.')[1], incident_key: incidentKey, title: 'x' },
      },
    });

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      pd = await FakePagerDuty.start();
      pd.oncalls.push(
        { policy: 'PDEF001', level: 1, name: 'Jane Doe', email: 'jane@example.com' },
        { policy: 'PDEF001', level: 2, name: 'Bob Roe', email: 'bob@example.com' },
        { policy: 'PCHK001', level: 1, name: 'Carol Poe', email: 'carol@example.com' },
      );
      slack.emails.set('jane@example.com', 'U0JANE');
      slack.emails.set('bob@example.com', 'U0BOB');
      app = await startTestApp(database, slackEnv(slack.apiUrl, {
        PAGERDUTY_ROUTING_KEY: DEFAULT_KEY, PAGERDUTY_SERVICES: `checkout=${CHECKOUT_KEY}/PCHK001`, PAGERDUTY_ESCALATION_POLICY: 'PDEF001',
        PAGERDUTY_API_TOKEN: API_TOKEN, PAGERDUTY_EVENTS_HOST: pd.host, PAGERDUTY_API_URL: `https://${pd.host}/`,
        PAGERDUTY_WEBHOOK_SECRET: WEBHOOK_SECRET, PLAYBOOKS_DIR: PLAYBOOKS,
      }), { pagerAgent: trustingAgent() });
    });
    after(async () => {
      await app.close();
      await pd.close();
      await slack.close();
      await database.close();
    });

    test('a sev1 incident pages its service with an Events v2 trigger; ack and resolve follow; the card shows who is on call', async () => {
      const inc = await open({ alertname: 'CheckoutDown', severity: 'critical', service: 'checkout', namespace: 'shop' });
      const [trigger] = await eventually('trigger', async () => eventsFor(inc.key).length > 0 && eventsFor(inc.key));
      assert.equal(trigger!.status, 202);
      assert.deepEqual(trigger!.body, {
        routing_key: CHECKOUT_KEY, event_action: 'trigger', dedup_key: inc.key, client: 'firebreak',
        payload: {
          summary: `INC-${inc.number} [sev1] CheckoutDown`, source: 'firebreak', severity: 'critical', timestamp: trigger!.body.payload!.timestamp,
          component: 'checkout', group: 'shop', class: 'CheckoutDown',
          custom_details: {
            incident: `INC-${inc.number}`, severity: 'sev1', status: 'triggered', commander: null, firing_alerts: 1,
            labels: { alertname: 'CheckoutDown', severity: 'critical', service: 'checkout', namespace: 'shop' },
          },
        },
        links: [{ href: 'http://alertmanager.local:9093', text: 'Alertmanager' }],
      });
      assert.match(trigger!.userAgent ?? '', /^pdjs\//);
      // On call for checkout's escalation policy, read with the REST token, on the card.
      await slack.waitFor('card with on-call', () => [...slack.messages.values()].some((m) => [...m.values()].some((c) =>
        JSON.stringify(c.blocks).includes(`INC-${inc.number} ·`) && JSON.stringify(c.blocks).includes('on call: Carol Poe (L1)'))));
      const lookup = pd.oncallRequests.at(-1)!;
      assert.equal(lookup.authorization, `Token token=${API_TOKEN}`);
      assert.deepEqual(lookup.url.searchParams.getAll('escalation_policy_ids[]'), ['PCHK001']);

      await command(`ack INC-${inc.number}`);
      // (Resolved before the acknowledge went out, PagerDuty would get the resolve alone.)
      await eventually('acknowledge', async () => eventsFor(inc.key).length === 2);
      await command(`resolve INC-${inc.number}`);
      await eventually('resolve', async () => eventsFor(inc.key).length === 3);
      assert.deepEqual(eventsFor(inc.key).map((e) => [e.body.event_action, e.body.routing_key, e.status]), [
        ['trigger', CHECKOUT_KEY, 202], ['acknowledge', CHECKOUT_KEY, 202], ['resolve', CHECKOUT_KEY, 202],
      ]);
      assert.equal(eventsFor(inc.key)[1]!.body.payload, undefined);
      // The job records what PagerDuty answered after the answer came: wait for its last entry.
      const pagerDutyEntries = async () => (await timeline(db(), inc.number)).filter((e) => e.kind.startsWith('pagerduty.')).map((e) => e.summary);
      await eventually('resolve recorded', async () => (await pagerDutyEntries()).length === 4);
      assert.deepEqual(await pagerDutyEntries(), [
        `Paging checkout on PagerDuty about INC-${inc.number} (severity sev1)`,
        `PagerDuty checkout: INC-${inc.number} paged`, `PagerDuty checkout: INC-${inc.number} acknowledged`, `PagerDuty checkout: INC-${inc.number} resolved`,
      ]);
    });

    test('raising the severity to the threshold pages; lowering it again pages nothing more', async () => {
      const inc = await open({ alertname: 'Creeping', severity: 'warning', service: 'checkout' });
      await syncIdle(inc.id);
      assert.equal(eventsFor(inc.key).length, 0);
      assert.equal((await command(`sev INC-${inc.number} 2`)).response_type, 'in_channel');
      await eventually('trigger after sev 2', async () => eventsFor(inc.key).length === 1);
      assert.deepEqual([eventsFor(inc.key)[0]!.body.routing_key, eventsFor(inc.key)[0]!.body.payload!.severity], [CHECKOUT_KEY, 'error']);
      await command(`sev INC-${inc.number} 4`);
      await command(`sev INC-${inc.number} 1`);
      await syncIdle(inc.id);
      assert.equal(eventsFor(inc.key).length, 1, 'one page per service, whatever the severity does');
    });

    test('below the threshold nobody is paged; /incident page pages by hand, once per service', async () => {
      const inc = await open({ alertname: 'SlowDisk', severity: 'warning' });
      await syncIdle(inc.id);
      assert.equal(eventsFor(inc.key).length, 0);
      const unknown = await command(`page nosuch INC-${inc.number}`);
      assert.equal(unknown.response_type, 'ephemeral');
      assert.match(unknown.text, /There is no PagerDuty service `nosuch`: the services are `default`, `checkout`/);
      const paged = await command(`page INC-${inc.number}`);
      assert.equal(paged.response_type, 'in_channel');
      assert.match(paged.text, new RegExp(`<@U0ALICE> is paging PagerDuty \\(\`default\`\\) about \\*INC-${inc.number}\\*`));
      await eventually('manual trigger', async () => eventsFor(inc.key).length === 1);
      assert.equal(eventsFor(inc.key)[0]!.body.routing_key, DEFAULT_KEY);
      assert.equal(eventsFor(inc.key)[0]!.body.payload!.severity, 'warning');
      const again = await command(`page default INC-${inc.number}`);
      assert.match(again.text, /was already paged on `default`.*by <@U0ALICE>: nothing more was sent/);
      await syncIdle(inc.id);
      assert.equal(eventsFor(inc.key).length, 1);
    });

    test('a 400 is recorded and never retried; 500s and a 429 are retried until accepted', async () => {
      pd.failNext(400, 1, { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid routing key'] });
      const refused = await open({ alertname: 'Refused', severity: 'critical' });
      const rejected = await eventually('rejection on the timeline', async () =>
        (await timeline(db(), refused.number)).find((e) => e.kind === 'pagerduty.rejected'));
      assert.match(rejected.summary, /PagerDuty refused to page default: HTTP 400: Event object is invalid; Invalid routing key/);
      await syncIdle(refused.id);
      assert.equal(eventsFor(refused.key).length, 1);
      // Resolving sends nothing for a page PagerDuty never took.
      await command(`resolve INC-${refused.number}`);
      await syncIdle(refused.id);
      assert.equal(eventsFor(refused.key).length, 1);

      pd.failNext(500, 2);
      pd.failNext(429, 1, { status: 'throttled', message: 'Requests for this service are arriving too quickly.' });
      const retried = await open({ alertname: 'Retried', severity: 'error' });
      await eventually('accepted after retries', async () => eventsFor(retried.key).some((e) => e.status === 202));
      assert.deepEqual(eventsFor(retried.key).map((e) => e.status), [500, 500, 429, 202]);
      // The fake answered 202 before the job recorded it: wait for the job to finish.
      await syncIdle(retried.id);
      const { rows } = await db().query<{ sent: string }>('SELECT sent FROM pages WHERE incident_id = $1', [retried.id]);
      assert.deepEqual(rows, [{ sent: 'trigger' }]);
    });

    test('recording a sent page waits for the incident without holding the page, as a status change locks them (no deadlock; Postgres only: it takes a second session)',
      { skip: backend.name === 'pglite' && 'PGlite has one session: no second transaction to hold a lock' }, async () => {
        let outcome: Promise<string> | undefined;
        // While the trigger is in flight, a status change's transaction takes the incident row; when
        // the job comes to record PagerDuty's answer, it must wait for that row before touching the
        // page, or the status change, which updates the page next, deadlocks with it.
        pd.beforeNextAnswer = (body) => new Promise((locked) => {
          const id = Number(body.dedup_key);
          outcome = db().transaction(async (tx) => {
            await tx.query('SELECT 1 FROM incidents WHERE id = $1 FOR NO KEY UPDATE', [id]);
            locked();
            await eventually('the job waits for the incident', async () =>
              (await db().query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")).rows.length > 0);
            try {
              await tx.query('SELECT 1 FROM pages WHERE incident_id = $1 FOR UPDATE NOWAIT', [id]);
              return 'the page is free';
            } catch (err) {
              return `the page is locked (${sqlStateOf(err)})`;
            }
          });
        });
        const inc = await open({ alertname: 'LockOrder', severity: 'critical' });
        assert.equal(await eventually('the incident was held', async () => outcome), 'the page is free');
        await syncIdle(inc.id);
        const { rows } = await db().query<{ sent: string }>('SELECT sent FROM pages WHERE incident_id = $1', [inc.id]);
        assert.deepEqual(rows, [{ sent: 'trigger' }]);
      });

    test('signed v3 webhooks acknowledge and resolve the incident, once per event; a bad signature changes nothing', async () => {
      const inc = await open({ alertname: 'WebhookSync', severity: 'critical' });
      await eventually('paged', async () => eventsFor(inc.key).length === 1);
      const status = async () => (await db().query<{ status: string }>('SELECT status FROM incidents WHERE id = $1', [inc.id])).rows[0]!.status;

      const ack = pdEvent('01ACK', 'incident.acknowledged', inc.key);
      const forged = await webhook(ack, `v1=${createHmac('sha256', 'not-the-secret').update(ack).digest('hex')}`);
      assert.equal(forged.status, 401);
      assert.equal(((await forged.json()) as { error: string }).error, 'bad_signature');
      assert.equal(await status(), 'triggered');

      for (let i = 0; i < 2; i++) {
        const res = await webhook(ack); // PagerDuty re-delivers: one change
        assert.equal(res.status, 200);
        assert.deepEqual(await res.json(), { status: 'changed', incident: `INC-${inc.number}` });
      }
      assert.equal(await status(), 'acknowledged');
      const changes = (await timeline(db(), inc.number)).filter((e) => e.kind === 'incident.status_changed');
      assert.deepEqual(changes.map((e) => [e.actor, e.data.to]), [['pagerduty:Jane Doe', 'acknowledged']]);

      assert.deepEqual(await (await webhook(pdEvent('01RES', 'incident.resolved', inc.key))).json(), { status: 'changed', incident: `INC-${inc.number}` });
      assert.equal(await status(), 'resolved');
      assert.deepEqual(await (await webhook(pdEvent('01OTHER', 'incident.resolved', '999999'))).json(), { status: 'ignored', reason: 'not an incident firebreak paged' });
      assert.equal((await webhook(pdEvent('01NOTE', 'incident.annotated', inc.key))).status, 200);
      const bad = await webhook('{"event":{"id":"x"}}');
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { message: string }).message, /^event\.event_type: /);
    });

    test('approvers: [oncall] lets whoever PagerDuty has on call approve, matched to Slack by email', async () => {
      const inc = await open({ alertname: 'OnCallGate', severity: 'warning' });
      const approval = await eventually('approval message posted', async () =>
        (await db().query<{ id: number }>('SELECT id FROM approvals WHERE incident_id = $1 AND slack_ts IS NOT NULL', [inc.id])).rows[0]?.id);
      const click = async (user: string) => {
        const body = blockActionBody({ action_id: 'incident_approve', value: String(approval), action_ts: `1763700200.${++seq}` },
          { user: { id: user, username: user, team_id: 'T0TEAM001' }, trigger_id: `pdclick-${seq}`, channel: { id: INCIDENT_CHANNEL, name: 'incidents' } }, port());
        assert.equal((await postSlack(app.url, body)).status, 200);
      };
      await click('U0BOB'); // on call, but at level 2
      const refused = await eventually('refusal', async () => (await timeline(db(), inc.number)).find((e) => e.kind === 'access.refused'));
      assert.equal(refused.summary, 'U0BOB may not approve this step: needs a place among this step\'s approvers, fixed when its approval was requested; held by U0JANE');
      await click('U0JANE');
      await eventually('step ran', async () => (await db().query<{ status: string }>(
        `SELECT status FROM step_runs WHERE incident_id = $1`, [inc.id])).rows[0]?.status === 'succeeded');
      assert.deepEqual(slack.ok('users.lookupByEmail').map((c) => c.args.email).sort(), ['jane@example.com']);
    });

    test('a PagerDuty that does not answer times the call out as retryable (pdjs\'s own timer is off)', async () => {
      const client = createPagerDutyClient({
        config: loadConfig({ PAGERDUTY_ROUTING_KEY: DEFAULT_KEY, PAGERDUTY_EVENTS_HOST: pd.host }).pagerduty!,
        metrics: createMetrics(async () => ({})), agent: trustingAgent(), timeoutMs: 300,
      });
      pd.hang = true;
      try {
        await assert.rejects(client.send({ routingKey: DEFAULT_KEY, action: 'resolve', dedupKey: '1' }), (err: FirebreakError) => {
          assert.equal(err.code, ErrorCode.PagerDutyUnavailable);
          assert.equal(err.retryable, true);
          assert.match(err.message, /^PagerDuty could not be reached/);
          return true;
        });
      } finally {
        pd.hang = false;
      }
    });

    test('a pagerduty.trigger step pages the named service', async () => {
      const inc = await open({ alertname: 'PageFromPlaybook', severity: 'info' });
      await eventually('playbook page', async () => eventsFor(inc.key).length === 1);
      assert.equal(eventsFor(inc.key)[0]!.body.routing_key, CHECKOUT_KEY);
      // The page is delivered by its own job, which may run before the step's outcome is recorded.
      const output = async () => (await db().query<{ output: unknown }>(
        `SELECT output FROM step_runs WHERE incident_id = $1 AND status = 'succeeded'`, [inc.id])).rows[0]?.output;
      await eventually('step recorded', async () => (await output()) !== undefined);
      assert.deepEqual(await output(), { paged: true, service: 'checkout', dedup_key: inc.key });
    });
  });
}
