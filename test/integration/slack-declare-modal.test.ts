import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack } from '../support/fake-slack.js';
import { FakeViews } from '../support/fake-slack-views.js';
import { interactionBody, viewSubmissionPayload } from '../support/slack-payloads.js';
import { postSlack, slashCommandBody } from '../support/slack-requests.js';
import { count, timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';

type Block = { type: string; block_id?: string; element?: Record<string, unknown>; text?: { text: string } };
type ViewAnswer = { response_action: string; errors?: Record<string, string>; view?: { type: string; blocks: Block[] } };

// The declare modal over HTTP, signed as Slack signs: `/incident declare` opens it (views.open),
// its submission declares through the command's own path.
for (const backend of backends()) {
  describe(`the declare modal (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let views: FakeViews;
    let seq = 0;
    const port = () => Number(new URL(slack.url).port);
    const command = async (text: string, user = 'U0ALICE01') => {
      const res = await postSlack(app.url, slashCommandBody({ text, user_id: user, channel_id: 'C0GENERAL', trigger_id: `modal-${++seq}` }, port()));
      assert.equal(res.status, 200);
      const body = await res.text();
      return body ? (JSON.parse(body) as { response_type: string; text: string }) : undefined;
    };
    const submit = async (payload: Record<string, unknown>) => {
      const res = await postSlack(app.url, interactionBody(payload));
      assert.equal(res.status, 200, await res.clone().text());
      return (await res.json()) as ViewAnswer;
    };
    const incidents = async () => (await database.db.query<{ number: number; title: string; severity: string; commander: string }>(
      'SELECT number, title, severity, commander FROM incidents ORDER BY number')).rows;
    const viewText = (a: ViewAnswer) => a.view?.blocks.map((b) => b.text?.text ?? '').join('\n') ?? '';

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      views = FakeViews.install(slack);
      app = await startTestApp(database, slackEnv(slack.apiUrl, { ACCESS_RESPOND: 'U0ALICE01,U0CAROL01' }));
    });
    after(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });

    test('/incident declare with no title opens the modal with the trigger id, and declares nothing yet', async () => {
      const answer = await command('declare');
      assert.equal(answer, undefined, 'acknowledged with no message');
      assert.equal(views.opened.length, 1);
      const { view, triggerId } = views.opened[0]!;
      assert.equal(triggerId, `modal-${seq}`);
      assert.equal(view.callback_id, 'incident_declare');
      const blocks = view.blocks as Block[];
      assert.deepEqual(blocks.map((b) => b.block_id), ['title', 'severity', 'description', 'commander', 'channel']);
      assert.equal((blocks[1]!.element!.initial_option as { value: string }).value, 'sev3');
      assert.equal(blocks[3]!.element!.initial_user, 'U0ALICE01', 'the asker is the commander proposed');
      assert.equal((blocks[4]!.element!.initial_option as { value: string }).value, 'main', 'SLACK_CREATE_CHANNELS is off');
      assert.deepEqual(JSON.parse(String(view.private_metadata)), { channel: 'C0GENERAL' });

      await command('declare sev1');
      assert.equal(((views.opened[1]!.view.blocks as Block[])[1]!.element!.initial_option as { value: string }).value, 'sev1');
      assert.equal(await count(database.db, 'incidents'), 0);
    });

    test('someone who may not declare gets the refusal instead of the modal', async () => {
      const opened = views.opened.length;
      const answer = await command('declare', 'U0BOB0001');
      assert.match(answer!.text, /^:no_entry: You may not declare incidents/);
      assert.equal(views.opened.length, opened, 'no modal');
    });

    test('a submission with wrong fields: each error under its field, nothing declared; corrected, it declares', async () => {
      const bad = await submit(viewSubmissionPayload(
        { title: '   ', severity: null, commander: 'not-a-user', channel: null, description: 'x'.repeat(3001) },
        { view: { id: 'V0BAD0001' } },
      ));
      assert.equal(bad.response_action, 'errors');
      assert.deepEqual(bad.errors, {
        title: 'Give the incident a title.',
        severity: 'Choose a severity, SEV1 to SEV4.',
        description: 'At most 3000 characters (this is 3001).',
        commander: 'Choose a person from the list.',
        channel: 'Choose whether the incident gets a channel of its own.',
      });
      const long = await submit(viewSubmissionPayload({ title: 'y'.repeat(201) }, { view: { id: 'V0BAD0001' } }));
      assert.deepEqual(long.errors, { title: 'At most 200 characters (this is 201).' });
      assert.equal(await count(database.db, 'incidents'), 0);

      const good = await submit(viewSubmissionPayload({ title: 'Checkout returns 500s' }, { view: { id: 'V0BAD0001' } }));
      assert.equal(good.response_action, 'update', 'the same modal, corrected, declares');
      assert.match(viewText(good), /<@U0ALICE01> declared \*INC-1\* \(sev2\): Checkout returns 500s/);
      assert.deepEqual(await incidents(), [{ number: 1, title: 'Checkout returns 500s', severity: 'sev2', commander: 'U0ALICE01' }]);
    });

    test('a full submission: title, severity, description, another commander, a channel of its own; resubmitted, declared once', async () => {
      const payload = viewSubmissionPayload(
        { title: 'Payments <!channel> & co', severity: 'sev1', description: 'Card auths failing since 14:02', commander: 'U0CAROL01', channel: 'own' },
        { view: { id: 'V0FULL001' } },
      );
      const answer = await submit(payload);
      assert.equal(answer.response_action, 'update');
      assert.equal(answer.view?.type, 'modal');
      const text = viewText(answer);
      assert.ok(text.includes('declared *INC-2* (sev1)'), text);
      assert.ok(!text.includes('<!channel>') && text.includes('&lt;!channel&gt; &amp; co'), `escaped: ${text}`);
      assert.deepEqual((await incidents())[1], { number: 2, title: 'Payments <!channel> & co', severity: 'sev1', commander: 'U0CAROL01' });
      const opened = (await timeline(database.db, 2)).find((e) => e.kind === 'incident.opened')!;
      assert.equal(opened.actor, 'U0ALICE01');
      assert.deepEqual(
        { description: opened.data.description, commander: opened.data.commander, ownChannel: opened.data.ownChannel },
        { description: 'Card auths failing since 14:02', commander: 'U0CAROL01', ownChannel: true },
      );
      // A channel of its own, though SLACK_CREATE_CHANNELS is off; the commander is invited.
      const created = await slack.waitFor('the channel', () => slack.ok('conversations.create')[0]);
      assert.match(String(created.args.name), /^inc-2-/);
      await slack.waitFor('the invitation', () => slack.ok('conversations.invite').find((c) => c.args.users === 'U0CAROL01'));

      const again = await submit(payload);
      assert.deepEqual(again, answer, 'Slack\'s retry gets the same answer');
      assert.equal(await count(database.db, 'incidents'), 2);
      await eventually('INC-1 in the main channel, not a channel of its own', async () => slack.ok('chat.postMessage').length >= 2);
      assert.equal(slack.ok('conversations.create').length, 1, 'INC-1 (main) got no channel');
    });

    test('a submission by someone who may not declare: the refusal in the modal, nothing declared', async () => {
      const answer = await submit(viewSubmissionPayload({ title: 'Sneaky' }, { user: { id: 'U0BOB0001', username: 'bob', team_id: 'T0TEAM001' }, view: { id: 'V0BOB0001' } }));
      assert.equal(answer.response_action, 'update');
      assert.match(viewText(answer), /^:no_entry: You may not declare incidents/);
      assert.equal(await count(database.db, 'incidents'), 2);
    });

    test('a submission from another workspace is refused by the origin check: the modal says so, nothing declared', async () => {
      const answer = await submit(viewSubmissionPayload({ title: 'Elsewhere' }, { team: { id: 'T0OTHER01', domain: 'other' }, view: { id: 'V0OTHER01', app_installed_team_id: 'T0OTHER01' } }));
      assert.equal(answer.response_action, 'errors');
      assert.match(answer.errors!.title!, /^:no_entry: You may not declare incidents/);
      assert.ok(answer.errors!.title!.length <= 150);
      assert.equal(await count(database.db, 'incidents'), 2);
    });
  });
}
