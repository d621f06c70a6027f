import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cut, escapeMrkdwn, safeMrkdwn, safeUrl } from '../../src/lib/mrkdwn.js';
import { incidentChannelName } from '../../src/slack/channel-name.js';
import { parseCommand } from '../../src/slack/command-parse.js';

describe('untrusted text in mrkdwn', () => {
  test('escapes the three characters Slack parses', () => {
    const cases: [string, string][] = [
      ['<!channel>', '&lt;!channel&gt;'],
      ['<https://x|click>', '&lt;https://x|click&gt;'],
      ['<@U123>', '&lt;@U123&gt;'],
      ['a & b', 'a &amp; b'],
      ['&lt;', '&amp;lt;'],
      ['*bold* _it_ plain', '*bold* _it_ plain'],
    ];
    for (const [input, expected] of cases) assert.equal(escapeMrkdwn(input), expected, input);
  });

  test('cuts to the limit with an ellipsis, never inside an entity or a surrogate pair', () => {
    assert.equal(cut('abcdef', 6), 'abcdef');
    assert.equal(cut('abcdefg', 6), 'abcde…');
    assert.equal(safeMrkdwn('abcd<efgh', 8), 'abcd…', 'the &lt; entity is dropped whole');
    assert.equal(cut('ab😀cd', 4), 'ab…', 'the emoji is not split');
    const long = safeMrkdwn('<'.repeat(5000), 3000);
    assert.ok(long.length <= 3000 && long.endsWith('&lt;…'));
  });

  test('only http(s) URLs of sane length become links', () => {
    assert.equal(safeUrl('https://runbooks.example/disk'), 'https://runbooks.example/disk');
    for (const bad of ['javascript:alert(1)', 'not a url', `https://x/${'a'.repeat(3000)}`, '', null, undefined]) {
      assert.equal(safeUrl(bad), undefined, String(bad).slice(0, 30));
    }
  });
});

describe('incident channel names', () => {
  const cases: [number, string, number, string][] = [
    [42, 'HighErrorRate on checkout', 1, 'inc-42-higherrorrate-on-checkout'],
    [42, 'HighErrorRate on checkout', 2, 'inc-42-higherrorrate-on-checkout-2'],
    [7, 'Café déjà vu — Zürich!!', 1, 'inc-7-cafe-deja-vu-zurich'],
    [7, '🔥🔥🔥', 1, 'inc-7'],
    [7, 'snake_case stays', 1, 'inc-7-snake_case-stays'],
  ];
  for (const [n, title, attempt, expected] of cases) {
    test(`${title} (attempt ${attempt}) → ${expected}`, () => assert.equal(incidentChannelName(n, title, attempt), expected));
  }
  test('at most 80 characters, suffix included, lowercase and Slack\'s alphabet only', () => {
    for (const attempt of [1, 2, 17]) {
      const name = incidentChannelName(123456, 'A very long title '.repeat(20), attempt);
      assert.ok(name.length <= 80, name);
      assert.match(name, /^[a-z0-9_-]+$/);
      assert.ok(!name.includes('--'));
      if (attempt > 1) assert.ok(name.endsWith(`-${attempt}`));
    }
  });
});

describe('/incident parsing', () => {
  const ok: [string, unknown][] = [
    ['', { name: 'help' }],
    ['help', { name: 'help' }],
    ['list', { name: 'list' }],
    ['ack', { name: 'ack', ref: undefined }],
    ['ACK inc-7', { name: 'ack', ref: 7 }],
    ['INC-7 resolve', { name: 'resolve', ref: 7 }],
    ['sev 2', { name: 'sev', ref: undefined, severity: 'sev2' }],
    ['sev INC-3 sev1', { name: 'sev', ref: 3, severity: 'sev1' }],
    ['sev 4 INC-3', { name: 'sev', ref: 3, severity: 'sev4' }],
    ['commander <@U0BOB0001|bob>', { name: 'commander', ref: undefined, user: 'U0BOB0001' }],
    ['commander INC-2 <@W0BOB0001>', { name: 'commander', ref: 2, user: 'W0BOB0001' }],
    ['note INC-2   two  spaces kept', { name: 'note', ref: 2, text: 'two  spaces kept' }],
    ['note note about INC-9', { name: 'note', ref: undefined, text: 'note about INC-9' }],
    ['note a &lt;b&gt; &amp; c', { name: 'note', ref: undefined, text: 'a <b> & c' }],
    ['declare Checkout down', { name: 'declare', title: 'Checkout down', severity: 'sev3' }],
    ['declare Checkout down SEV1', { name: 'declare', title: 'Checkout down', severity: 'sev1' }],
  ];
  for (const [text, expected] of ok) {
    test(`"${text}"`, () => assert.deepEqual(parseCommand(text), { ok: true, command: expected }));
  }
  const bad: [string, RegExp, string][] = [
    ['frobnicate', /unknown subcommand "frobnicate"/, '/incident help'],
    ['sev 5', /give the severity as 1, 2, 3 or 4/, '/incident sev [INC-n] <1-4>'],
    ['sev', /give the severity/, '/incident sev [INC-n] <1-4>'],
    ['commander bob', /mention the new commander/, '/incident commander [INC-n] <@user>'],
    ['ack now please', /unexpected "now please"/, '/incident ack [INC-n]'],
    ['list INC-4', /list takes no arguments/, '/incident list'],
    ['note', /the note is empty/, '/incident note [INC-n] <text>'],
    [`note ${'x'.repeat(3001)}`, /at most 3000/, '/incident note [INC-n] <text>'],
    ['declare sev2', /a title is needed/, '/incident declare <title> [sev1-4]'],
    ['INC-4 declare again', /give no INC-n/, '/incident declare <title> [sev1-4]'],
  ];
  for (const [text, error, usage] of bad) {
    test(`"${text.slice(0, 30)}" is refused with the right form`, () => {
      const result = parseCommand(text);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.match(result.error, error);
      assert.ok(result.usage.includes(usage), result.usage);
    });
  }
});
