import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { checkOrigin, originOf, originRefusal, type OriginRules, type RequestOrigin, type SlackIdentity } from '../../src/slack/origin.js';

const FIXTURES = new URL('../fixtures/slack/', import.meta.url);
const me: SlackIdentity = { teamId: 'T0TEAM001', enterpriseId: undefined, appId: 'A0APP0001', botId: 'B0FIREBRK', botUserId: 'U0FIREBRK' };
const grid: SlackIdentity = { ...me, enterpriseId: 'E0ORG0001' };
const strict: OriginRules = { allowedTeamIds: [], allowExternalUsers: false };
const ok: RequestOrigin = { teamId: 'T0TEAM001', enterpriseId: undefined, appId: 'A0APP0001', userTeamId: 'T0TEAM001' };

describe('originOf: the ids Slack puts in each kind of request', () => {
  test('a slash command names its workspace and app', async () => {
    const body = Object.fromEntries(new URLSearchParams(await readFile(new URL('slash-command.txt', FIXTURES), 'utf8')));
    assert.deepEqual(originOf(body), { teamId: 'T0TEAM001', enterpriseId: undefined, appId: 'A0APP0001', userTeamId: undefined });
  });
  test('a click names the installation\'s workspace and the user\'s own team', async () => {
    const body = JSON.parse(await readFile(new URL('block-actions.json', FIXTURES), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(originOf(body), ok);
    assert.deepEqual(originOf({ ...body, team: null, enterprise: { id: 'E0ORG0001', name: 'Acme' }, user: { id: 'U1', team_id: 'T0OTHER01' } }),
      { teamId: 'T0OTHER01', enterpriseId: 'E0ORG0001', appId: 'A0APP0001', userTeamId: 'T0OTHER01' }, 'org-wide install: team is null');
  });
  test('a view submission from a Slack Connect channel names the installation in its view', () => {
    const body = { type: 'view_submission', api_app_id: 'A0APP0001', team: { id: 'T0PARTNER' }, user: { id: 'U1', team_id: 'T0PARTNER' },
      view: { app_installed_team_id: 'T0TEAM001' } };
    assert.deepEqual(originOf(body), { teamId: 'T0TEAM001', enterpriseId: undefined, appId: 'A0APP0001', userTeamId: 'T0PARTNER' });
  });
});

describe('checkOrigin', () => {
  // [case, identity, origin, rules, problem or ok]
  const cases: [string, SlackIdentity | undefined, Partial<RequestOrigin>, OriginRules, string][] = [
    ['our workspace, our app, our user', me, {}, strict, 'ok'],
    ['before firebreak knows who it is: nothing', undefined, {}, strict, 'identity_unknown'],
    ['another app', me, { appId: 'A0OTHER01' }, strict, 'app'],
    ['no app id', me, { appId: undefined }, strict, 'app'],
    ['another app even from an allowed workspace', me, { appId: 'A0OTHER01' }, { ...strict, allowedTeamIds: ['T0TEAM001'] }, 'app'],
    ['another workspace', me, { teamId: 'T0OTHER01', userTeamId: 'T0OTHER01' }, strict, 'workspace'],
    ['no workspace', me, { teamId: undefined }, strict, 'workspace'],
    ['another workspace that is allowed', me, { teamId: 'T0OTHER01', userTeamId: 'T0OTHER01' }, { ...strict, allowedTeamIds: ['T0OTHER01'] }, 'ok'],
    ['a Slack Connect user of another organization', me, { userTeamId: 'T0PARTNER' }, strict, 'external_user'],
    ['an external user, with external users allowed', me, { userTeamId: 'T0PARTNER' }, { ...strict, allowExternalUsers: true }, 'ok'],
    ['an external user from an allowed workspace', me, { userTeamId: 'T0PARTNER' }, { ...strict, allowedTeamIds: ['T0PARTNER'] }, 'ok'],
    ['Grid: another workspace of our organization', grid, { teamId: 'T0SISTER1', enterpriseId: 'E0ORG0001', userTeamId: 'T0TEAM001' }, strict, 'ok'],
    ['Grid: another organization', grid, { teamId: 'T0SISTER1', enterpriseId: 'E0OTHER01', userTeamId: 'T0TEAM001' }, strict, 'workspace'],
    ['Grid: an allowed organization', me, { teamId: 'T0ELSE001', enterpriseId: 'E0ALLOWED', userTeamId: 'E0ALLOWED' }, { ...strict, allowedTeamIds: ['E0ALLOWED'] }, 'ok'],
  ];
  for (const [name, identity, origin, rules, expected] of cases) {
    test(name, () => {
      const verdict = checkOrigin(identity, { ...ok, ...origin }, rules);
      assert.equal(verdict.ok ? 'ok' : verdict.problem, expected);
    });
  }

  test('each refusal says what the request lacks and where it came from', () => {
    const from = { ...ok, teamId: 'T0OTHER01', appId: 'A0OTHER01', userTeamId: 'T0PARTNER' };
    assert.deepEqual(originRefusal('resolve', 'workspace', me, from), {
      action: 'resolve', lacks: 'a request from firebreak\'s own Slack workspace (T0TEAM001)', holders: [],
      note: 'This request came from workspace T0OTHER01; SLACK_ALLOWED_TEAM_IDS names any other workspace firebreak accepts.',
    });
    assert.match(originRefusal('ack', 'app', me, from).note!, /for app A0OTHER01/);
    assert.match(originRefusal('ack', 'external_user', me, from).note!, /You belong to T0PARTNER \(Slack Connect\).*SLACK_ALLOW_EXTERNAL_USERS=true/);
    assert.match(originRefusal('ack', 'identity_unknown', undefined, from).note!, /not yet confirmed its own Slack workspace and app/);
  });
});
