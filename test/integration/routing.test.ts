import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakePagerDuty, trustingAgent } from '../support/fake-pagerduty.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody } from '../support/playbooks.js';
import { eventually } from '../support/wait.js';

const DEFAULT_KEY = 'D0123456789abcdef0123456789ABCDE';
const PAYMENTS_KEY = 'P0123456789abcdef0123456789ABCDE';
const ROUTES = 'team=payments:C0PAYMENTS:payments,team=search:C0SEARCH,namespace=payments:C0WRONG';

for (const backend of backends()) {
  describe(`INCIDENT_ROUTES: a team's incidents go to its channel and PagerDuty service (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let pd: FakePagerDuty;

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      pd = await FakePagerDuty.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, {
        INCIDENT_ROUTES: ROUTES, PAGERDUTY_ROUTING_KEY: DEFAULT_KEY, PAGERDUTY_SERVICES: `payments=${PAYMENTS_KEY}`,
        PAGERDUTY_EVENTS_HOST: pd.host, PAGERDUTY_MIN_SEVERITY: 'sev1',
      }), { pagerAgent: trustingAgent() });
    });
    after(async () => {
      await app.close();
      await pd.close();
      await slack.close();
      await database.close();
    });

    /** Fires one alert of its own group; the incident's number. */
    const fire = async (labels: Record<string, string>) => {
      const res = await app.postWebhook(alertBody(labels));
      assert.equal(res.status, 200);
      return Number(((await res.json()) as { incidents: string[] }).incidents[0]!.slice(4));
    };
    const cardChannel = (number: number) => slack.waitFor(`the card of INC-${number}`, () =>
      slack.ok('chat.postMessage').find((c) => String(c.args.text).startsWith(`INC-${number} `))?.args.channel);

    test('the first route whose label the incident carries chooses the card\'s channel', async () => {
      assert.equal(await cardChannel(await fire({ alertname: 'KubePodCrashLooping', team: 'search', namespace: 'payments', severity: 'warning' })), 'C0SEARCH');
      assert.equal(await cardChannel(await fire({ alertname: 'KubeJobFailed', namespace: 'payments', severity: 'warning' })), 'C0WRONG');
    });

    test('no route matches (another team, no team label, a value that only looks alike): the default channel', async () => {
      for (const labels of [{ team: 'checkout' }, {}, { team: 'Payments' }, { team: 'payments ' }] as Record<string, string>[]) {
        assert.equal(await cardChannel(await fire({ alertname: 'TargetDown', severity: 'warning', ...labels })), INCIDENT_CHANNEL, JSON.stringify(labels));
      }
    });

    test('a route\'s PagerDuty service is paged by itself; the card goes to its channel; other incidents page the default', async () => {
      const payments = await fire({ alertname: 'HighErrorRate', team: 'payments', service: 'checkout', severity: 'critical' });
      assert.equal(await cardChannel(payments), 'C0PAYMENTS');
      const other = await fire({ alertname: 'HighErrorRate', team: 'search', severity: 'critical' });
      const keyOf = async (number: number) => {
        const { rows } = await database.db.query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [number]);
        const dedup = String(rows[0]!.id);
        const event = await eventually(`the page of INC-${number}`, async () => pd.accepted().find((e) => e.dedup_key === dedup));
        return event.routing_key;
      };
      assert.equal(await keyOf(payments), PAYMENTS_KEY);
      assert.equal(await keyOf(other), DEFAULT_KEY);
    });
  });
}

describe('INCIDENT_ROUTES with SLACK_CREATE_CHANNELS: the link to the incident\'s channel goes to the team\'s channel', () => {
  for (const backend of backends()) {
    test(backend.name, async () => {
      const database = await backend.create();
      const slack = await FakeSlack.start();
      const app = await startTestApp(database, slackEnv(slack.apiUrl, { INCIDENT_ROUTES: 'team=payments:C0PAYMENTS', SLACK_CREATE_CHANNELS: 'true' }));
      try {
        await app.postWebhook(alertBody({ alertname: 'KubeDeploymentReplicasMismatch', team: 'payments', severity: 'warning' }));
        const link = await slack.waitFor('the link', () => slack.ok('chat.postMessage').find((c) => /follow it in <#/.test(String(c.args.text))));
        assert.equal(link.args.channel, 'C0PAYMENTS');
        assert.equal(slack.ok('chat.postMessage').filter((c) => c.args.channel === INCIDENT_CHANNEL).length, 0);
      } finally {
        await app.close();
        await slack.close();
        await database.close();
      }
    });
  }
});
