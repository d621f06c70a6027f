import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';

// Each Slack Web API method firebreak calls and the bot scope it needs (none: the method needs no
// scope), from Slack's method reference (https://api.slack.com/methods/<method>). A method the
// code starts calling must be added here, and its scope to both manifests.
const METHOD_SCOPES: Record<string, string[]> = {
  'auth.test': [],
  'bots.info': ['users:read'],
  'chat.postMessage': ['chat:write'],
  'chat.update': ['chat:write'],
  'conversations.create': ['channels:manage'],
  'conversations.setTopic': ['channels:manage'],
  'conversations.invite': ['channels:manage'],
  'conversations.history': ['channels:history'],
  'conversations.join': ['channels:join'],
  'pins.add': ['pins:write'],
  'users.lookupByEmail': ['users:read.email'],
  'usergroups.list': ['usergroups:read'],
  'usergroups.users.list': ['usergroups:read'],
  'views.open': [],
  'views.publish': [],
  // WebClient.filesUploadV2: files.getUploadURLExternal, then files.completeUploadExternal.
  'files.uploadV2': ['files:write'],
};

// Scopes no single method call asks for, and why the manifests hold them.
const OTHER_SCOPES: Record<string, string> = {
  commands: 'the /incident slash command',
  'chat:write.public': 'chat.postMessage to the incident channel without being invited first',
  'groups:history': 'conversations.history in a private incident channel',
};

/** The Web API methods src/ calls: `.call('m')`, `.apiCall('m')` (with or without a type argument), `client.ns.m(`, `filesUploadV2(`. */
function calledMethods(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const src = new URL('../../src/', import.meta.url).pathname;
  // The folders that wrap other vendors' clients (Jira's `client.issues.…`, Kubernetes') are not Slack's.
  const otherVendors = /^(?:tickets|kubernetes|pagerduty)\//;
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !otherVendors.test(f));
  const patterns = [
    /\.(?:call|apiCall)(?:<[^()]*?>)?\(\s*'([a-z]+(?:\.[a-zA-Z]+)+)'/g,
    /\bclient\.([a-z]+\.[a-zA-Z]+(?:\.[a-zA-Z]+)?)\(/g,
    /\b(filesUploadV2)\(/g,
  ];
  for (const file of files) {
    const text = readFileSync(join(src, file), 'utf8');
    for (const pattern of patterns) {
      for (const m of text.matchAll(pattern)) {
        const method = m[1] === 'filesUploadV2' ? 'files.uploadV2' : m[1]!;
        found.set(method, [...(found.get(method) ?? []), file]);
      }
    }
  }
  return found;
}

const manifestScopes = (name: string): string[] => {
  const manifest = parse(readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
  return manifest.oauth_config.scopes.bot;
};

test('the scan finds the calls firebreak is known to make (it is not blind)', () => {
  const called = calledMethods();
  for (const method of ['chat.postMessage', 'auth.test', 'views.open', 'views.publish', 'files.uploadV2', 'usergroups.users.list']) {
    assert.ok(called.has(method), `${method} not found in src/`);
  }
});

test('every Web API method src/ calls has its scope in the table', () => {
  const unknown = [...calledMethods()].filter(([method]) => !(method in METHOD_SCOPES)).map(([method, files]) => `${method} (${files.join(', ')})`);
  assert.deepEqual(unknown, [], 'add these to METHOD_SCOPES and their scopes to both manifests');
});

for (const name of ['slack-app-manifest.yml', 'slack-app-manifest.socket.yml']) {
  test(`${name}: the scopes the calls need, and no other`, () => {
    const scopes = manifestScopes(name);
    const called = calledMethods();
    const needed = new Set([...called.keys()].flatMap((m) => METHOD_SCOPES[m] ?? []));
    assert.deepEqual([...needed].filter((s) => !scopes.includes(s)).sort(), [], 'needed by a call, missing from the manifest');
    const unused = scopes.filter((s) => !needed.has(s) && !(s in OTHER_SCOPES));
    assert.deepEqual(unused, [], 'in the manifest, asked for by no call: remove it or say why in OTHER_SCOPES');
    assert.equal(new Set(scopes).size, scopes.length, 'no scope twice');
  });
}
