import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { draftPostmortem } from '../../src/postmortem/draft.js';
import { fixture, slackEnv, startTestApp, TOKEN, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';

const GRAFANA_TOKEN = 'grafana-token-0123456789abcdef';

for (const backend of backends()) {
  describe(`POST /webhooks/grafana: Grafana-managed alerts (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    const post = (body: string, token: string | null = GRAFANA_TOKEN) => fetch(`${app.url}/webhooks/grafana`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body,
    });

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, { GRAFANA_WEBHOOK_TOKEN: GRAFANA_TOKEN }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });

    test('only Grafana\'s own token is taken (not Alertmanager\'s); nothing is kept of a refused request', async () => {
      const body = await fixture('grafana/firing.json');
      for (const token of [null, 'wrong', TOKEN]) {
        const res = await post(body, token);
        assert.equal(res.status, 401, String(token));
      }
      assert.equal((await database.db.query('SELECT count(*)::int AS n FROM incidents')).rows[0]!.n, 0);
    });

    test('a firing group is one incident, its alerts stored with Grafana\'s links and values, its group and fingerprints Grafana\'s own', async () => {
      const res = await post(await fixture('grafana/firing.json'));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'accepted', incidents: ['INC-1'], alerts: { fired: 2, refired: 0, resolved: 0, repeat: 0 } });
      const { rows: [incident] } = await database.db.query<{ title: string; severity: string; group_key: string; external_url: string }>(
        'SELECT title, severity, group_key, external_url FROM incidents WHERE number = 1');
      assert.deepEqual(incident, {
        title: 'High memory usage on Shop', severity: 'sev3', external_url: 'https://play.grafana.org/',
        group_key: 'grafana/1/{}/{team="blue"}:{alertname="High memory usage", grafana_folder="Shop"}',
      });
      const { rows: alerts } = await database.db.query<{ fingerprint: string; grafana: unknown }>('SELECT fingerprint, grafana FROM alerts ORDER BY id');
      assert.deepEqual(alerts, [
        {
          fingerprint: 'grafana/1/c6eadffa33fcdf37',
          grafana: {
            orgId: 1, values: { B: 44.23943737541908, C: 1 },
            silenceUrl: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DHigh+memory+usage%2Cgrafana_folder%3DShop%2Cteam%3Dblue%2Czone%3Dus-1&orgId=1',
            dashboardUrl: 'https://play.grafana.org/d/shop-memory?orgId=1', panelUrl: 'https://play.grafana.org/d/shop-memory?orgId=1&viewPanel=4',
          },
        },
        {
          fingerprint: 'grafana/1/bc97ff14869b13e3',
          grafana: {
            orgId: 1, values: { B: 51, C: 1 }, dashboardUrl: null, panelUrl: null,
            silenceUrl: 'https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DHigh+memory+usage%2Cgrafana_folder%3DShop%2Cteam%3Dblue%2Czone%3Deu-1&orgId=1',
          },
        },
      ]);
    });

    test('the card links to Grafana, the rule, and the first alert\'s silence, dashboard and panel', async () => {
      const card = await slack.waitFor('the card', () => slack.ok('chat.postMessage').find((c) => String(c.args.text).startsWith('INC-1 ')));
      const blocks = card.args.blocks as { block_id?: string; elements?: { action_id: string; url: string }[] }[];
      const links = blocks.find((b) => b.block_id === 'incident_links')!.elements!;
      assert.deepEqual(links.map((l) => l.action_id), ['link_runbook', 'link_alertmanager', 'link_generator', 'link_silence', 'link_dashboard', 'link_panel']);
      assert.equal(links.find((l) => l.action_id === 'link_panel')!.url, 'https://play.grafana.org/d/shop-memory?orgId=1&viewPanel=4');
    });

    test('the resolved group resolves the incident; the postmortem lists Grafana\'s links', async () => {
      const res = await post(await fixture('grafana/resolved.json'));
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { alerts: unknown }).alerts, { fired: 0, refired: 0, resolved: 2, repeat: 0 });
      const { rows: [incident] } = await database.db.query<{ id: number; status: string }>('SELECT id, status FROM incidents WHERE number = 1');
      assert.equal(incident!.status, 'resolved');
      const draft = await draftPostmortem(database.db, incident!.id, undefined, new Date('2021-10-12T09:00:00Z'));
      assert.match(draft!.markdown, /Grafana links:\n\n- High memory usage: \[Silence\]\(<https:\/\/play\.grafana\.org\/alerting\/silence\/new\?alertmanager=grafana&matchers=alertname%3DHigh\+memory\+usage%2Cgrafana_folder%3DShop%2Cteam%3Dblue%2Czone%3D(us|eu)-1&orgId=1>\) · \[Dashboard\]\(<https:\/\/play\.grafana\.org\/d\/shop-memory\?orgId=1>\) · \[Panel\]\(<https:\/\/play\.grafana\.org\/d\/shop-memory\?orgId=1&viewPanel=4>\)\n/);
    });

    test('not a Grafana payload: 400 naming the field, the body kept in rejected_webhooks, nothing stored', async () => {
      const before = (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts')).rows[0]!.n;
      const alertmanager = await post(await fixture('alertmanager/firing-single.json'));
      assert.equal(alertmanager.status, 400);
      assert.deepEqual(await alertmanager.json(), { error: 'invalid_payload', field: 'version', message: 'version: must be "1" (the Grafana webhook payload version)' });
      const body = JSON.parse(await fixture('grafana/firing.json')) as Record<string, unknown>;
      delete body.orgId;
      const noOrg = await post(JSON.stringify(body));
      assert.equal(noOrg.status, 400);
      assert.deepEqual(await noOrg.json(), { error: 'invalid_payload', field: 'orgId', message: 'orgId: is required' });
      const values = JSON.parse(await fixture('grafana/firing.json')) as { alerts: { values: unknown }[] };
      values.alerts[1]!.values = { B: 'high' };
      assert.deepEqual(await (await post(JSON.stringify(values))).json(), { error: 'invalid_payload', field: 'alerts[1].values.B', message: 'alerts[1].values.B: values must be numbers' });
      const kept = await database.db.query<{ detail: string }>('SELECT detail FROM rejected_webhooks ORDER BY id');
      assert.deepEqual(kept.rows.map((r) => r.detail), [
        'version: must be "1" (the Grafana webhook payload version)', 'orgId: is required', 'alerts[1].values.B: values must be numbers',
      ]);
      assert.equal((await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM alerts')).rows[0]!.n, before);
    });
  });
}

describe('POST /webhooks/grafana without GRAFANA_WEBHOOK_TOKEN: loopback clients only, as Alertmanager\'s', () => {
  for (const backend of backends().slice(0, 1)) {
    test(backend.name, async () => {
      const database = await backend.create();
      const app = await startTestApp(database, {});
      try {
        const res = await fetch(`${app.url}/webhooks/grafana`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: await fixture('grafana/firing.json') });
        assert.equal(res.status, 200, 'from this host, with no token configured');
      } finally {
        await app.close();
        await database.close();
      }
    });
  }
});
