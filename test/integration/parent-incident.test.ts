import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { gatherPostmortem } from '../../src/postmortem/gather.js';
import { renderPostmortem } from '../../src/postmortem/render.js';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack, type FakeMessage } from '../support/fake-slack.js';
import { alertBody } from '../support/playbooks.js';
import { blockActionBody, clickAnswer, postSlack, slashCommandBody } from '../support/slack-requests.js';
import { count, incidentId, incidents, timeline } from '../support/state.js';

type Blocks = { type: string; text?: { text: string }; elements?: { text?: unknown; action_id?: string; value?: string }[] }[];

for (const backend of backends()) {
  describe(`Parent incidents (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let trigger = 0;
    const db = () => database.db;
    const start = async (env: Record<string, string> = {}) => {
      database = await backend.create();
      slack = await FakeSlack.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, env));
    };
    afterEach(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });
    const port = () => Number(new URL(slack.url).port);
    const command = async (text: string, user = 'U0ALICE01') => {
      const res = await postSlack(app.url, slashCommandBody({ text, user_id: user, channel_id: 'C0GENERAL', trigger_id: `t-${++trigger}` }, port()));
      assert.equal(res.status, 200);
      return ((await res.json()) as { text: string }).text;
    };
    const click = (actionId: string, value: string, user = 'U0ALICE01') =>
      clickAnswer(app.url, slack, blockActionBody({ action_id: actionId, value, action_ts: `1763700012.${++trigger}` }, { trigger_id: `c-${trigger}`, user: { id: user } }, port()));
    const open = async (n: number) => {
      for (let i = 0; i < n; i++) assert.equal((await app.postWebhook(alertBody({ alertname: `Parent${i}`, cluster: 'eu-1' }))).status, 200);
    };
    const messages = () => [...(slack.messages.get(INCIDENT_CHANNEL)?.values() ?? [])];
    const cardOf = (number: number) => messages().find((m) => m.metadata?.event_type === 'firebreak_incident_card' && m.text.startsWith(`INC-${number} `));
    const buttons = (m: FakeMessage | undefined) => ((m?.blocks ?? []) as Blocks).flatMap((b) => b.elements ?? []).filter((e) => e.action_id);

    test('/incident link: needs the command permission, refuses bad input precisely and links nothing then', async () => {
      await start({ ACCESS_COMMAND: 'U0BOSS001' });
      await open(3);
      assert.match(await command('link INC-1 INC-2'), /You may not link incidents to a parent/i);
      assert.equal(await count(db(), 'incident_links'), 0);
      const refusals = (await timeline(db(), 1)).filter((e) => e.kind === 'access.refused');
      assert.equal(refusals.length, 1, 'the refusal is on the parent\'s timeline');
      assert.match(await command('link INC-1', 'U0BOSS001'), /name the parent incident, then at least one incident to link to it/);
      assert.match(await command('link INC-1 foo', 'U0BOSS001'), /"foo" is not an incident \(like INC-7\)/);
      assert.match(await command('link INC-1 INC-2 INC-99', 'U0BOSS001'), /Nothing was linked: there is no incident INC-99/);
      assert.match(await command('link INC-1 INC-1', 'U0BOSS001'), /INC-1 cannot be its own child/);
      assert.equal(await count(db(), 'incident_links'), 0, 'a refused link links none of the others');
      assert.match(await command('link INC-1 INC-2 INC-3', 'U0BOSS001'), /linked \*INC-2\*, \*INC-3\* to \*INC-1\*/);
      assert.match(await command('link INC-2 INC-3', 'U0BOSS001'), /INC-2 is part of INC-1: link to INC-1 instead/);
      assert.match(await command('link INC-1 INC-3', 'U0BOSS001'), /already part of \*INC-1\*: nothing changed/);
      assert.equal(await count(db(), 'incident_links'), 2);
    });

    test('the parent\'s timeline records its children; resolving it offers to resolve them; its postmortem lists them', async () => {
      await start();
      await open(3);
      await command('link INC-1 INC-2 INC-3');
      const parentEvents = (await timeline(db(), 1)).filter((e) => e.kind === 'incident.linked');
      assert.equal(parentEvents.length, 1);
      assert.match(parentEvents[0]!.summary, /^INC-2, INC-3 linked to INC-1 by U0ALICE01$/);
      for (const n of [2, 3]) {
        assert.match((await timeline(db(), n)).find((e) => e.kind === 'incident.linked')!.summary, /^INC-\d is part of INC-1/);
      }
      await command('resolve INC-1');
      const offer = await slack.waitFor('the offer on the parent\'s card', () =>
        buttons(cardOf(1)).find((b) => b.action_id === 'incident_resolve_children'), 15_000);
      assert.equal((offer.text as { text: string }).text, 'Resolve 2 linked incidents');
      assert.match(await click('incident_resolve_children', offer.value!), /resolved \*INC-2\*, \*INC-3\* with their parent \*INC-1\*/);
      const statuses = (await incidents(db())).map((i) => [i.number, i.status]);
      assert.deepEqual(statuses, [[1, 'resolved'], [2, 'resolved'], [3, 'resolved']]);
      assert.match((await timeline(db(), 2)).at(-1)!.summary, /INC-2 resolved with its parent INC-1/);
      assert.match((await timeline(db(), 1)).at(-1)!.summary, /INC-2, INC-3 resolved with INC-1/);
      const draft = renderPostmortem((await gatherPostmortem(db(), await incidentId(db(), 1)))!, { kind: 'unavailable', reason: 'test' });
      assert.match(draft, /## Linked incidents\n\nINC-1 is the parent of 2 incidents: this postmortem covers them\./);
      assert.match(draft, /\| INC-2 \| Parent1[^|]*\| sev3 \| resolved \|/);
      assert.match(draft, /\| INC-3 \| Parent2[^|]*\| sev3 \| resolved \|/);
    });

    test('"Declare outage" on the digest opens a sev1 parent that links every incident of the outage, once', async () => {
      await start({ OUTAGE_THRESHOLD: '2' });
      await open(4);
      const digest = () => messages().find((m) => m.metadata?.event_type === 'firebreak_outage_digest');
      const declare = await slack.waitFor('the digest\'s Declare button', () => buttons(digest()).find((b) => b.action_id === 'incident_outage_declare'), 15_000);
      await slack.waitFor('all four in the digest', () => JSON.stringify(digest()!.blocks).includes('*INC-4*'), 15_000);
      assert.match(await click('incident_outage_declare', declare.value!), /declared the outage as \*INC-5\* \(sev1\), linking 4 incidents/);
      assert.match(await click('incident_outage_declare', declare.value!), /already declared: \*INC-5\*/);
      const parent = (await incidents(db())).find((i) => i.number === 5)!;
      assert.equal(parent.severity, 'sev1');
      assert.match(parent.title, /^Outage: 4 incidents \(cluster=eu-1\)$/);
      assert.equal(await count(db(), 'incident_links'), 4);
      await slack.waitFor('the digest naming its parent', () => JSON.stringify(digest()!.blocks).includes('Declared as *INC-5*'), 15_000);
      assert.ok(!buttons(digest()).some((b) => b.action_id === 'incident_outage_declare'));
      await slack.waitFor('the parent\'s own card', () => cardOf(5), 15_000);
    });
  });
}
