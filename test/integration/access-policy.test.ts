import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACTION_PERMISSION, ACTION_TEXT, API_ONLY_ACTIONS, type TableAction } from '../../src/access/permissions.js';
import { INCIDENT_CHANNEL, metricValue, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakePagerDuty, trustingAgent } from '../support/fake-pagerduty.js';
import { FakeSlack } from '../support/fake-slack.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { blockActionBody, clickAnswer, postSlack, slashCommandBody } from '../support/slack-requests.js';
import { timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';

const PLAYBOOKS = playbookDir({
  'noop.yml': `name: noop\nmatch: ['alertname="NeverFires"']\nsteps:\n  - { id: pause, action: wait, with: { duration: 1h } }\n`,
  'attn.yml': `name: attn
match: ['alertname="AttnTest"']
steps:
  - { id: hold, action: wait, with: { duration: 1h } }
  - { id: a, action: exec, with: { argv: [printf, a] } }
  - { id: b, action: exec, with: { argv: [printf, b] } }
  - { id: c, action: exec, with: { argv: [printf, c] } }
`,
});

// The policy under test: each permission held by its own group or person, an admin besides.
const POLICY = {
  ACCESS_READ: '@staff', ACCESS_RESPOND: '@responders', ACCESS_COMMAND: '@commanders', ACCESS_RUN: '@runners', ACCESS_PAGE: 'U0PAGER',
  ACCESS_ADMIN: 'U0ADMIN',
};
// For each permission: someone who lacks it (but holds what comes before) and someone who holds it.
const WHO: Record<string, { refused: string; allowed: string }> = {
  read: { refused: 'U0MALLORY', allowed: 'U0READER' },
  respond: { refused: 'U0READER', allowed: 'U0RESP' },
  command: { refused: 'U0RESP', allowed: 'U0CMD' },
  run: { refused: 'U0CMD', allowed: 'U0RUN' },
  page: { refused: 'U0RUN', allowed: 'U0PAGER' },
};

for (const backend of backends()) {
  describe(`the access policy, row by row (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    let pd: FakePagerDuty;
    let seq = 0;
    const db = () => database.db;
    const port = () => Number(new URL(slack.url).port);
    // Incidents by name: their ids, and their numbers (INC-n).
    const inc: Record<string, number> = {};
    const numbers: Record<string, number> = {};
    const steps: Record<string, number> = {};

    const command = async (user: string, text: string) => {
      const res = await postSlack(app.url, slashCommandBody({ text, channel_id: 'C0GENERAL', trigger_id: `acc-${++seq}`, user_id: user }, port()));
      assert.equal(res.status, 200);
      return ((await res.json()) as { text: string }).text;
    };
    const click = (user: string, actionId: string, value: number) => clickAnswer(app.url, slack, blockActionBody(
      { action_id: actionId, value: String(value), action_ts: `1763700300.${++seq}` },
      { user: { id: user, username: user, team_id: 'T0TEAM001' }, trigger_id: `accl-${seq}`, channel: { id: INCIDENT_CHANNEL, name: 'incidents' } }, port()));
    const one = async <T>(sql: string, params: unknown[]) => (await db().query<Record<string, T>>(sql, params)).rows[0];
    const field = (table: string, column: string, id: () => number) => async () => (await one(`SELECT ${column} AS v FROM ${table} WHERE id = $1`, [id()]))?.v;
    const count = (sql: string, params: () => unknown[]) => async () => (await one<number>(`SELECT count(*)::int AS n FROM ${sql}`, params()))!.n;
    const open = async (name: string, alertname: string) => {
      const res = await app.postWebhook(alertBody({ severity: 'warning', alertname }));
      numbers[name] = Number(((await res.json()) as { incidents: string[] }).incidents[0]!.slice(4));
      inc[name] = (await one<number>('SELECT id AS v FROM incidents WHERE number = $1', [numbers[name]]))!.v!;
    };

    before(async () => {
      database = await backend.create();
      slack = await FakeSlack.start();
      for (const [handle, members] of Object.entries({
        staff: ['U0READER', 'U0RESP', 'U0CMD', 'U0RUN', 'U0PAGER'], responders: ['U0RESP'], commanders: ['U0CMD'], runners: ['U0RUN'],
      })) slack.groups.set(handle, members);
      pd = await FakePagerDuty.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, {
        ...POLICY, PLAYBOOKS_DIR: PLAYBOOKS, EXEC_ALLOWLIST: 'printf', OUTAGE_THRESHOLD: '3',
        PAGERDUTY_ROUTING_KEY: 'D0123456789abcdef0123456789ABCDE', PAGERDUTY_EVENTS_HOST: pd.host,
      }), { pagerAgent: trustingAgent() });
      for (const name of ['main', 'resolve', 'page', 'parent', 'child']) await open(name, `Access${name}`);
      await open('attn', 'AttnTest');
      // Three interrupted steps (set up directly: how steps get interrupted is tested elsewhere).
      const rows = await eventually('the attn run', async () => {
        const { rows: found } = await db().query<{ id: number; step_id: string }>(
          `SELECT id, step_id FROM step_runs WHERE incident_id = $1 AND step_id IN ('a', 'b', 'c')`, [inc.attn]);
        return found.length === 3 && found;
      });
      for (const r of rows) steps[r.step_id] = r.id;
      await db().query(`UPDATE step_runs SET status = 'needs_attention', attempts = 1 WHERE incident_id = $1 AND step_id IN ('a', 'b', 'c')`, [inc.attn]);
    });
    after(async () => {
      await app.close();
      await pd.close();
      await slack.close();
      await database.close();
    });

    const ref = (name: string) => `INC-${numbers[name]}`;
    type Row = { action: TableAction; send: (user: string) => Promise<string>; incident?: string; effect?: () => Promise<unknown>; shows?: RegExp };
    const rows: Row[] = [
      { action: 'help', send: (u) => command(u, 'help'), shows: /\/incident declare/ },
      { action: 'list', send: (u) => command(u, 'list'), shows: /^Open incidents:/ },
      { action: 'status', send: (u) => command(u, `status ${ref('main')}`), incident: 'main', shows: /Accessmain/ },
      { action: 'timeline', send: (u) => command(u, `timeline ${ref('main')}`), incident: 'main', shows: /^Timeline of/ },
      { action: 'playbooks', send: (u) => command(u, 'playbooks'), shows: /^Playbooks \(2\)/ },
      { action: 'steps', send: (u) => command(u, `steps ${ref('attn')}`), incident: 'attn', shows: /\*attn\* · running/ },
      { action: 'declare', send: (u) => command(u, 'declare Declared by hand sev4'), effect: count('incidents', () => []) },
      { action: 'ack', send: (u) => command(u, `ack ${ref('main')}`), incident: 'main', effect: field('incidents', 'status', () => inc.main!) },
      { action: 'mitigate', send: (u) => command(u, `mitigate ${ref('main')}`), incident: 'main', effect: field('incidents', 'status', () => inc.main!) },
      { action: 'note', send: (u) => command(u, `note ${ref('main')} checked the disks`), incident: 'main',
        effect: count(`timeline_events WHERE incident_id = $1 AND kind = 'incident.note'`, () => [inc.main]) },
      { action: 'commander.claim', send: (u) => click(u, 'incident_commander', inc.main!), incident: 'main', effect: field('incidents', 'commander', () => inc.main!) },
      { action: 'postmortem', send: (u) => command(u, `postmortem ${ref('main')}`), incident: 'main',
        effect: count(`jobs WHERE (payload->>'incidentId')::bigint = $1 AND kind LIKE 'postmortem%'`, () => [inc.main]) },
      { action: 'sev', send: (u) => command(u, `sev ${ref('main')} 4`), incident: 'main', effect: field('incidents', 'severity', () => inc.main!) },
      { action: 'commander', send: (u) => command(u, `commander ${ref('main')} <@U0OTHER|other>`), incident: 'main', effect: field('incidents', 'commander', () => inc.main!) },
      { action: 'resolve', send: (u) => click(u, 'incident_resolve', inc.resolve!), incident: 'resolve', effect: field('incidents', 'status', () => inc.resolve!) },
      { action: 'run', send: (u) => command(u, `run noop ${ref('main')}`), incident: 'main',
        effect: count(`playbook_runs WHERE incident_id = $1 AND trigger = 'manual'`, () => [inc.main]) },
      { action: 'step.retry', send: (u) => click(u, 'incident_step_retry', steps.a!), incident: 'attn', effect: field('step_runs', 'status', () => steps.a!) },
      { action: 'step.skip', send: (u) => click(u, 'incident_step_skip', steps.b!), incident: 'attn', effect: field('step_runs', 'status', () => steps.b!) },
      { action: 'step.abort', send: (u) => click(u, 'incident_step_abort', steps.c!), incident: 'attn', effect: field('step_runs', 'status', () => steps.c!) },
      { action: 'page', send: (u) => command(u, `page ${ref('page')}`), incident: 'page', effect: count('pages WHERE incident_id = $1', () => [inc.page]) },
      { action: 'link', send: (u) => command(u, `link ${ref('parent')} ${ref('child')}`), incident: 'parent', effect: count('incident_links', () => []) },
      { action: 'resolve.children', send: (u) => click(u, 'incident_resolve_children', inc.parent!), incident: 'parent',
        effect: field('incidents', 'status', () => inc.child!) },
      // Six incidents with OUTAGE_THRESHOLD=3: the channel is in outage mode.
      { action: 'outage.declare', send: async (u) => click(u, 'incident_outage_declare', await eventually('the outage', async () => (await one<number>('SELECT id AS v FROM slack_outages', []))?.v)),
        effect: count('slack_outages WHERE parent_incident_id IS NOT NULL', () => []) },
    ];
    test('every action of the table that Slack offers has a row here (the API-only ones are tested with the API)', () => assert.deepEqual(
      rows.map((r) => r.action).sort(), Object.keys(ACTION_PERMISSION).filter((a) => !API_ONLY_ACTIONS.includes(a as TableAction)).sort()));

    for (const row of rows) {
      const permission = ACTION_PERMISSION[row.action];
      const { refused, allowed } = WHO[permission]!;
      test(`${row.action} (${permission}): refused for ${refused}, allowed for ${allowed}`, async () => {
        const effect = row.effect;
        const before = await effect?.();
        const refusal = await row.send(refused);
        assert.match(refusal, new RegExp(`^:no_entry: You may not ${ACTION_TEXT[row.action]}: that needs the "${permission}" permission\\. ` +
          'It is held by .*Nothing was changed\\.$'));
        if (permission === 'run') assert.ok(refusal.includes('@runners and <@U0ADMIN>'), refusal);
        assert.deepEqual(await effect?.(), before, 'a refusal changes nothing');
        assert.equal(await metricValue(app, 'firebreak_access_refused_total', { action: row.action }), 1);
        if (row.incident) {
          const events = (await timeline(db(), numbers[row.incident]!)).filter((e) => e.kind === 'access.refused' && e.data.action === row.action);
          assert.deepEqual(events.map((e) => e.actor), [refused]);
        }

        const answer = await row.send(allowed);
        assert.doesNotMatch(answer, /You may not/);
        if (row.shows) assert.match(answer, row.shows);
        if (effect) await eventually(`${row.action} took effect`, async () => JSON.stringify(await effect()) !== JSON.stringify(before));
      });
    }

    test('with a policy set, someone outside the run group can neither start a playbook nor resolve', async () => {
      const runs = count(`playbook_runs WHERE incident_id = $1 AND requested_by = 'U0READER'`, () => [inc.page]);
      assert.match(await command('U0READER', `run noop ${ref('page')}`), /^:no_entry: You may not start playbooks: that needs the "run" permission/);
      assert.match(await command('U0READER', `resolve ${ref('page')}`), /^:no_entry: You may not resolve incidents: that needs the "command" permission/);
      assert.equal(await runs(), 0, 'no run, so no step ran');
      assert.equal(await count(`timeline_events WHERE incident_id = $1 AND kind = 'step.started'`, () => [inc.page])(), 0);
      assert.equal(await field('incidents', 'status', () => inc.page!)(), 'triggered');
    });

    test('an admin holds every permission: pages without being named for it', async () => {
      const answer = await command('U0ADMIN', `page ${ref('main')}`);
      assert.match(answer, /is paging PagerDuty/);
    });
  });
}
