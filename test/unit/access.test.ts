import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import {
  ACTION_PERMISSION, accessPolicy, decidePermission, groupsFor, openPolicyWarning, PERMISSIONS, type Asker, type TableAction,
} from '../../src/access/permissions.js';
import { refusalEvent } from '../../src/access/refusal.js';
import { slackPrincipal } from '../../src/access/principal.js';
import { refusalText } from '../../src/slack/blocks/access.js';

describe('the permission table', () => {
  test('each action needs exactly the permission the README documents', async () => {
    assert.deepEqual(ACTION_PERMISSION, {
      help: 'read', list: 'read', status: 'read', timeline: 'read', playbooks: 'read', steps: 'read', jobs: 'read',
      declare: 'respond', ack: 'respond', mitigate: 'respond', note: 'respond', 'commander.claim': 'respond', postmortem: 'respond',
      resolve: 'command', sev: 'command', commander: 'command', link: 'command', 'outage.declare': 'command', 'resolve.children': 'command',
      run: 'run', 'step.retry': 'run', 'step.skip': 'run', 'step.abort': 'run',
      page: 'page', 'job.retry': 'run',
    });
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Who may do what'));
    for (const p of PERMISSIONS) assert.match(section, new RegExp(`\\| \`${p}\` \\| \`ACCESS_${p.toUpperCase()}\``), p);
  });

  test('with no policy everyone holds every permission but admin, and firebreak says so', () => {
    const open = accessPolicy({});
    assert.deepEqual(open, { read: ['*'], respond: ['*'], command: ['*'], run: ['*'], page: ['*'], admin: [] });
    for (const action of Object.keys(ACTION_PERMISSION) as TableAction[]) {
      assert.deepEqual(decidePermission(open, action, { slackUserId: 'U0ANYONE', groups: new Map() }), { ok: true }, action);
    }
    assert.equal(openPolicyWarning(open),
      'Access policy: everyone firebreak accepts requests from may resolve incidents, page PagerDuty and start playbooks ' +
      '(ACCESS_COMMAND, ACCESS_PAGE, ACCESS_RUN unset): see "Who may do what" in the README');
    assert.equal(openPolicyWarning(accessPolicy({ command: ['@leads'], run: ['@leads'] })),
      'Access policy: everyone firebreak accepts requests from may page PagerDuty (ACCESS_PAGE unset): see "Who may do what" in the README');
    assert.equal(openPolicyWarning(accessPolicy({ command: ['@leads'], run: ['@leads'], page: ['U0PAGER'] })), undefined);
  });

  describe('decidePermission', () => {
    const policy = accessPolicy({ read: ['@staff'], command: ['@leads', 'U0CMD'], run: ['@leads'], page: ['U0PAGER'], admin: ['U0ADMIN'] });
    const groups = new Map<string, Asker['groups'] extends ReadonlyMap<string, infer V> ? V : never>([
      ['staff', ['U0ALICE', 'U0LEAD']], ['leads', ['U0LEAD']],
    ]);
    const asker = (slackUserId: string | undefined): Asker => ({ slackUserId, groups });
    // [case, action, user, allowed]
    const cases: [string, TableAction, string | undefined, boolean][] = [
      ['a group member reads', 'status', 'U0ALICE', true],
      ['someone outside the group may not read', 'status', 'U0MALLORY', false],
      ['an unset permission is everyone\'s', 'ack', 'U0MALLORY', true],
      ['a user named by id holds it', 'resolve', 'U0CMD', true],
      ['a member of a named group holds it', 'resolve', 'U0LEAD', true],
      ['a reader may not resolve', 'resolve', 'U0ALICE', false],
      ['a reader may not start playbooks', 'run', 'U0ALICE', false],
      ['nor skip interrupted steps', 'step.skip', 'U0ALICE', false],
      ['a lead may start playbooks', 'run', 'U0LEAD', true],
      ['only the pager pages', 'page', 'U0LEAD', false],
      ['the pager pages', 'page', 'U0PAGER', true],
      ['an admin holds every permission', 'page', 'U0ADMIN', true],
      ['an admin reads without being in the group', 'timeline', 'U0ADMIN', true],
      ['a principal with no Slack id holds only what is everyone\'s', 'resolve', undefined, false],
    ];
    for (const [name, action, user, allowed] of cases) test(name, () => assert.equal(decidePermission(policy, action, asker(user)).ok, allowed));

    test('a refusal names the permission and who holds it, admins included', () =>
      assert.deepEqual(decidePermission(policy, 'run', asker('U0ALICE')), { ok: false, permission: 'run', holders: ['@leads', 'U0ADMIN'], unreadable: [] }));
    test('a group that could not be read holds nobody, and says so', () => {
      const unread = new Map([['leads', { unreadable: 'Slack: HTTP 503' }]]);
      assert.deepEqual(decidePermission(policy, 'run', { slackUserId: 'U0LEAD', groups: unread }),
        { ok: false, permission: 'run', holders: ['@leads', 'U0ADMIN'], unreadable: ['@leads (Slack: HTTP 503)'] });
    });
    test('only the groups a decision depends on are read', () => {
      assert.deepEqual(groupsFor(policy, 'resolve'), ['leads']);
      assert.deepEqual(groupsFor(policy, 'ack'), [], 'everyone: nothing to read');
    });
  });
});

describe('refusals', () => {
  const refusal = { action: 'resolve' as const, lacks: 'the "command" permission', holders: ['@leads', 'U0ADMIN'] };
  test('the asker is told what they lack and who has it, and that nothing changed', () => {
    assert.equal(refusalText(refusal),
      ':no_entry: You may not resolve incidents: that needs the "command" permission. It is held by @leads and <@U0ADMIN>. Nothing was changed.');
  });
  test('notes are escaped, long lists counted, an empty list left out', () => {
    const many = Array.from({ length: 18 }, (_, i) => `U0P${String(i).padStart(3, '0')}`);
    const text = refusalText({ action: 'approve', lacks: 'a place', holders: many, note: 'from <!channel> & co' });
    assert.match(text, /<@U0P014> and 3 more\. from &lt;!channel&gt; &amp; co Nothing was changed\.$/);
    assert.equal(refusalText({ action: 'page', lacks: 'x', holders: [] }), ':no_entry: You may not page PagerDuty: that needs x. Nothing was changed.');
  });
  test('the timeline event names actor, action and holders', () => {
    const at = new Date('2026-11-21T10:00:00Z');
    assert.deepEqual(refusalEvent(7, at, slackPrincipal('U0MALLORY'), refusal), {
      incidentId: 7, at, kind: 'access.refused', actor: 'U0MALLORY',
      summary: 'U0MALLORY may not resolve incidents: needs the "command" permission; held by @leads, U0ADMIN',
      data: { action: 'resolve', lacks: 'the "command" permission', holders: ['@leads', 'U0ADMIN'] },
    });
  });
});
