import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CARD_EVENT } from '../../src/slack/card-jobs.js';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeHttp } from '../support/fake-http.js';
import { FakeSlack } from '../support/fake-slack.js';
import { FakeViews } from '../support/fake-slack-views.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { homeOpenedPayload, postEvent } from '../support/slack-payloads.js';
import { blockActionBody, postSlack } from '../support/slack-requests.js';
import { eventually } from '../support/wait.js';

type Block = { type: string; block_id?: string; text?: { text: string }; elements?: { action_id?: string; value?: string }[] };

const playbooks = (deploy: string) => ({
  'gate.yml': `name: gate
match: ['alertname="GateTest"']
steps:
  - id: act
    action: http
    approval: { approvers: [U0ALICE01, "@sre-leads"] }
    with: { method: POST, url: "${deploy}act/{{ incident.ref }}" }
`,
});

// The App Home over HTTP: app_home_opened (a signed event) → a coalesced job → views.publish.
for (const backend of backends()) {
  describe(`the App Home tab (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let views: FakeViews;
    let deploy: FakeHttp;
    let seq = 0;
    let approvalId = 0;
    const port = () => Number(new URL(slack.url).port);
    const blocksOf = (user: string) => (views.home(user)?.blocks ?? []) as Block[];
    const texts = (user: string) => blocksOf(user).map((b) => b.text?.text ?? '');
    const open = async (user: string, overrides: Record<string, unknown> = {}) => {
      const res = await postEvent(app.url, homeOpenedPayload(user, overrides));
      assert.equal(res.status, 200, await res.clone().text());
    };
    const publishes = (user: string) => views.published.get(user)?.length ?? 0;
    const openAndWait = async (user: string) => {
      const before = publishes(user);
      await open(user);
      await eventually(`the Home of ${user} published`, async () => publishes(user) > before);
    };

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      views = FakeViews.install(slack);
      slack.groups.set('sre-leads', ['U0LEAD0001']);
      deploy = await FakeHttp.start();
      deploy.route('POST /act/INC-1', () => ({ status: 200, body: {} }));
      app = await startTestApp(database, slackEnv(slack.apiUrl, {
        PLAYBOOKS_DIR: playbookDir(playbooks(deploy.url)), HTTP_ACTION_ALLOWED_HOSTS: deploy.host,
        ACCESS_READ: 'U0ALICE01,U0LEAD0001,U0CAROL01',
      }));
      await app.postWebhook(alertBody({ alertname: 'GateTest', severity: 'warning' })); // INC-1, sev3, asks for approval
      await app.postWebhook(alertBody({ alertname: 'DiskFull', severity: 'critical' })); // INC-2, the worst
      approvalId = await eventually('the approval asked', async () => (await database.db.query<{ id: number }>('SELECT id FROM approvals')).rows[0]?.id);
      // Cards by their metadata: an approval message's text starts with INC- too, and under load
      // several posts can land between two looks.
      await slack.waitFor('both cards', () => slack.ok('chat.postMessage').filter((c) => (c.args.metadata as { event_type?: string } | undefined)?.event_type === CARD_EVENT).length === 2);
    });
    after(async () => {
      await app.close();
      await slack.close();
      await deploy.close();
      await database.close();
    });

    test('an approver opens Home: the approval they may decide, then open incidents worst first, with the cards\' buttons', async () => {
      await eventually('Alice\'s Home shows the approval', async () => {
        await openAndWait('U0ALICE01');
        return texts('U0ALICE01').some((t) => t.includes('Waiting for your approval'));
      });
      const blocks = blocksOf('U0ALICE01');
      const ids = blocks.map((b) => b.block_id).filter(Boolean);
      const [i1, i2] = [(await incident(1)).id, (await incident(2)).id];
      assert.deepEqual(ids, [`home_approval_${approvalId}`, `home_incident_${i2}`, `home_incident_${i1}`], 'approval, then sev1 before sev3');
      const approval = blocks.find((b) => b.block_id === `home_approval_${approvalId}`)!;
      assert.deepEqual(approval.elements!.map((e) => [e.action_id, e.value]), [['incident_approve', String(approvalId)], ['incident_deny', String(approvalId)]]);
      // The same buttons as the incident's card.
      const card = [...slack.messages.get(INCIDENT_CHANNEL)!.values()].find((m) => m.text.startsWith('INC-2 '))!;
      const cardButtons = (card.blocks as Block[]).find((b) => b.block_id === 'incident_actions')!.elements;
      assert.deepEqual(blocks.find((b) => b.block_id === `home_incident_${i2}`)!.elements, cardButtons);
      assert.ok(texts('U0ALICE01').some((t) => t.includes('*INC-2*') && t.includes('sev1')));
    });

    test('someone without read sees no incidents, and no approval that is not theirs', async () => {
      await openAndWait('U0BOB0001');
      const all = texts('U0BOB0001').join('\n');
      assert.match(all, /You may not see incidents here/);
      assert.ok(!all.includes('INC-'), all);
      assert.equal(blocksOf('U0BOB0001').filter((b) => b.type === 'actions').length, 0);
    });

    test('decided from the Home tab: the step runs once, and the approvers\' Homes drop the approval', async () => {
      await openAndWait('U0LEAD0001');
      assert.ok(blocksOf('U0LEAD0001').some((b) => b.block_id === `home_approval_${approvalId}`), 'the group member may decide it too');
      const alice = publishes('U0ALICE01');
      // A click in the Home tab: a view container, no channel, no response_url.
      const homeClick = (user: string) => blockActionBody({ action_id: 'incident_approve', value: String(approvalId), action_ts: `1763700700.${++seq}` },
        { user: { id: user, username: user, team_id: 'T0TEAM001' }, trigger_id: `home-${seq}`, channel: undefined,
          container: { type: 'view', view_id: 'V0HOME0001' }, view: { id: 'V0HOME0001', type: 'home', app_installed_team_id: 'T0TEAM001' },
          response_url: undefined }, port());
      // No channel to check in the Home tab, but the frozen approver set still decides.
      assert.equal((await postSlack(app.url, homeClick('U0CAROL01'))).status, 200);
      const refused = (await database.db.query<{ actor: string }>("SELECT actor FROM timeline_events WHERE kind = 'access.refused'")).rows;
      assert.deepEqual(refused.map((r) => r.actor), ['U0CAROL01']);
      assert.equal((await database.db.query<{ status: string }>('SELECT status FROM approvals WHERE id = $1', [approvalId])).rows[0]!.status, 'pending');
      assert.equal((await postSlack(app.url, homeClick('U0LEAD0001'))).status, 200);
      await eventually('the step ran', async () => deploy.to('/act/INC-1').length === 1);
      await eventually('Alice\'s Home without the approval', async () => publishes('U0ALICE01') > alice
        && !blocksOf('U0ALICE01').some((b) => b.block_id === `home_approval_${approvalId}`));
      await eventually('the lead\'s Home without the approval', async () => !blocksOf('U0LEAD0001').some((b) => b.block_id === `home_approval_${approvalId}`));
      assert.equal(deploy.to('/act/INC-1').length, 1, 'once');
    });

    test('Home opened again and again: coalesced, a few publishes rather than one per event', async () => {
      for (let n = 0; n < 12; n++) await open('U0CAROL01');
      await eventually('Carol\'s Home published', async () => publishes('U0CAROL01') >= 1);
      await eventually('no publish waiting', async () => (await database.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM jobs WHERE kind = 'slack.home' AND done_at IS NULL AND failed_at IS NULL")).rows[0]!.n === 0);
      assert.ok(publishes('U0CAROL01') <= 3, `${publishes('U0CAROL01')} publishes for 12 opens`);
      assert.ok(texts('U0CAROL01').some((t) => t.includes('*INC-2*')));
    });

    test('an app_home_opened from another workspace publishes nothing', async () => {
      await open('U0EVE0001', { team_id: 'T0OTHER01' });
      await open('U0CAROL01');
      await eventually('the later event handled', async () => (await database.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM jobs WHERE kind = 'slack.home' AND done_at IS NULL AND failed_at IS NULL")).rows[0]!.n === 0);
      assert.equal(publishes('U0EVE0001'), 0);
    });

    async function incident(number: number) {
      return (await database.db.query<{ id: number }>('SELECT id FROM incidents WHERE number = $1', [number])).rows[0]!;
    }
  });
}
