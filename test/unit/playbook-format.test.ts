import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { matches, parseMatcher } from '../../src/playbooks/matchers.js';
import { playbookJsonSchema } from '../../src/playbooks/schema.js';
import { renderParams, staticProblem, type TemplateContext } from '../../src/playbooks/template.js';
import { formatProblem, validatePlaybook } from '../../src/playbooks/validate.js';
import { alertsFromJson, dryRun } from '../../src/playbooks/dry-run.js';
import { loadPlaybooks } from '../../src/playbooks/loader.js';
import { fixture } from '../support/app.js';

describe('matchers (Alertmanager syntax, anchored regexes)', () => {
  // [matcher, labels, matches?]
  const cases: [string, Record<string, string>, boolean][] = [
    ['alertname="HighErrorRate"', { alertname: 'HighErrorRate' }, true],
    ['alertname="HighErrorRate"', { alertname: 'HighErrorRates' }, false],
    ['alertname=HighErrorRate', { alertname: 'HighErrorRate' }, true],
    ['service!="checkout"', { service: 'payments' }, true],
    ['service!="checkout"', { service: 'checkout' }, false],
    ['service=~"checkout|payments"', { service: 'payments' }, true],
    ['service=~"check"', { service: 'checkout' }, false], // anchored: a partial match is no match
    ['service=~"check.*"', { service: 'checkout' }, true],
    ['service=~"a|b"', { service: 'xa' }, false], // ^(?:a|b)$, not ^a|b$
    ['service!~"canary-.*"', { service: 'canary-1' }, false],
    ['service!~"canary-.*"', { service: 'main' }, true],
    ['team=""', {}, true], // a missing label is the empty string
    ['team!=""', {}, false],
    ['msg="say \\"hi\\""', { msg: 'say "hi"' }, true],
    [' severity = "critical" ', { severity: 'critical' }, true],
    // RE2 semantics, as Alertmanager (Go's regexp): inline flags, and . does not match a newline.
    ['service=~"(?i)CHECKOUT"', { service: 'checkout' }, true],
    ['msg=~"a.b"', { msg: 'a\nb' }, false],
    ['msg=~"(?s)a.b"', { msg: 'a\nb' }, true],
    ['msg=~"a.b"', { msg: 'a😀b' }, true], // one code point
    // Alertmanager wraps the text in ^(?:…)$ and searches: this one is "starts with x or ends with y".
    ['service=~"x)|(y"', { service: 'xzzz' }, true],
    ['service=~"x)|(y"', { service: 'zzzy' }, true],
    ['service=~"x)|(y"', { service: 'zxyz' }, false],
    ['service=~".*-.*-canary"', { service: `${'x-'.repeat(500_000)}canary` }, true],
    ['service=~".*-.*-canary"', { service: 'x-'.repeat(500_000) }, false],
  ];
  for (const [text, labels, expected] of cases) {
    test(`${text} on ${JSON.stringify(labels).slice(0, 60)} → ${expected}`, () => assert.equal(matches(parseMatcher(text), labels), expected));
  }
  for (const [bad, reason] of [
    ['alertname', /is not a matcher/], ['1abc="x"', /is not a matcher/], ['a=~"("', /regex is invalid \(RE2 syntax, as Alertmanager's\): .*missing closing \)/],
    // What JavaScript's RegExp takes and RE2 refuses (it could not run in linear time).
    ['a=~"(?=x)x"', /regex is invalid .*invalid or unsupported Perl syntax: `\(\?=`/], ['a=~"(a)\\\\1"', /regex is invalid .*invalid escape sequence: `\\1`/],
    ['a=~"(?<!x)y"', /regex is invalid/],
    ['a="x', /no closing quote/], ['a=x y', /must be double-quoted/], ['a="x\\q"', /unknown escape/],
  ] as const) {
    test(`refuses ${bad}`, () => assert.throws(() => parseMatcher(bad), reason));
  }
});

describe('templates: substitution only', () => {
  const ctx: TemplateContext = {
    alert: { labels: { service: 'checkout', evil: '$(touch /tmp/x); {{ incident.number }}' }, annotations: { summary: 'Errors' } },
    incident: { id: 1, number: 7, ref: 'INC-7', severity: 'sev2', title: 'T', status: 'triggered' },
    steps: { q: { status: 'succeeded', output: { status: 202, body: { items: [{ name: 'a' }] } } } },
  };
  const cases: [string, unknown, string][] = [
    ['a label', '{{ alert.labels.service }}', 'checkout'],
    ['no spaces', '{{alert.labels.service}}', 'checkout'],
    ['several in one string', '{{ incident.ref }}/{{ incident.severity }}: {{ alert.annotations.summary }}', 'INC-7/sev2: Errors'],
    ['a number', '{{ incident.number }}', '7'],
    ['a step output path', '{{ steps.q.output.status }}', '202'],
    ['into arrays', '{{ steps.q.output.body.items.0.name }}', 'a'],
    ['an object as JSON', '{{ steps.q.output.body }}', '{"items":[{"name":"a"}]}'],
    // A value that looks like a template is not rendered again: it stays data.
    ['a value holding template text', '{{ alert.labels.evil }}', '$(touch /tmp/x); {{ incident.number }}'],
  ];
  for (const [name, template, expected] of cases) test(name, () => assert.equal(renderParams(template, ctx), expected));

  test('renders nested parameters, keys as written', () => {
    assert.deepEqual(renderParams({ argv: ['echo', '{{ alert.labels.service }}'], '{{ k }}': 1 }, ctx), { argv: ['echo', 'checkout'], '{{ k }}': 1 });
  });
  for (const [template, message] of [
    ['{{ alert.labels.namespace }}', /unknown variable alert\.labels\.namespace: alert\.labels has no "namespace"/],
    ['{{ steps.nope.output }}', /unknown variable steps\.nope\.output: steps has no "nope"/],
    ['{{ process.env.HOME }}', /unknown variable process\.env\.HOME/],
    ['{{ alert.labels.service | upper }}', /is not a variable: templates only substitute/],
    ["{{ require('child_process') }}", /is not a variable/],
    ['{{ a.b', /unbalanced/],
  ] as const) {
    test(`fails clearly: ${template}`, () => assert.throws(() => renderParams(template, ctx), message));
  }
  test('static check: what can never have a value', () => {
    const earlier = new Set(['q']);
    assert.equal(staticProblem('alert.labels.x', earlier), undefined);
    assert.equal(staticProblem('steps.q.output.a.b', earlier), undefined);
    assert.match(staticProblem('alert.label.x', earlier)!, /use alert\.labels/);
    assert.match(staticProblem('incident.colour', earlier)!, /incident has id, number/);
    assert.match(staticProblem('steps.later.output', earlier)!, /no earlier step has the id "later"/);
    assert.match(staticProblem('env.SECRET', earlier)!, /variables start with/);
  });
});

describe('playbook files', () => {
  const good = `name: p
match: ['alertname="A"']
steps:
  - id: one
    action: exec
    with: { argv: [echo, "{{ alert.labels.x }}"] }
`;
  test('a good file loads, with defaults filled in', () => {
    const { playbook, problems } = validatePlaybook(good, 'p.yml');
    assert.deepEqual(problems, []);
    assert.equal(playbook!.definition.steps[0]!.on_failure, 'abort');
    assert.equal(playbook!.definition.steps[0]!.run_when_resolved, false);
  });
  // [what, file text, expected "file:line: path: reason"]
  const broken: [string, string, RegExp][] = [
    ['not YAML', 'name: [', /^b\.yml:1: not valid YAML/],
    ['an unknown action', good.replace('action: exec', 'action: shell'), /^b\.yml:5: steps\[0\]\.action: /],
    ['an unknown option', good.replace('    with:', '    retries: 3\n    with:'), /^b\.yml:4: steps\[0\]: Unrecognized key: "retries"/],
    ['argv not a list', good.replace('argv: [echo, "{{ alert.labels.x }}"]', 'argv: "echo hi"'), /^b\.yml:6: steps\[0\]\.with\.argv: /],
    ['a bad duration', good.replace('    with:', '    timeout: 5 minutes\n    with:'), /^b\.yml:6: steps\[0\]\.timeout: must be a duration/],
    ['a step timeout over the limit', good.replace('    with:', '    timeout: 2h\n    with:'), /^b\.yml:6: steps\[0\]\.timeout: must be at most 1h: a running step holds one of the steps pool's workers$/],
    ['a bad matcher', good.replace('alertname="A"', 'alertname=~"("'), /^b\.yml:2: match\[0\]: .*regex is invalid/],
    ['a regex RE2 refuses', good.replace('alertname="A"', 'alertname=~"(?!Test)A.*"'), /^b\.yml:2: match\[0\]: .*regex is invalid \(RE2 syntax/],
    ['an unknown variable', good.replace('alert.labels.x', 'alert.lables.x'), /^b\.yml:6: steps\[0\]\.with\.argv\[1\]: unknown variable alert\.lables\.x/],
    ['a later step\'s output', good.replace('alert.labels.x', 'steps.two.output'), /no earlier step has the id "two"/],
    ['code in a template', good.replace('alert.labels.x', 'alert.labels.x.toUpperCase()'), /is not a variable/],
    ['a duplicate step id', `${good}  - id: one\n    action: wait\n    with: { duration: 1s }\n`, /^b\.yml:7: steps\[1\]\.id: the id "one" is used by an earlier step/],
    ['an approver that is none', good.replace('    with:', '    approval: { approvers: [alice] }\n    with:'), /steps\[0\]\.approval\.approvers\[0\]: must be a Slack user id/],
    ['too few approvers', good.replace('    with:', '    approval: { approvers: [U1AAA], min_approvals: 2 }\n    with:'), /needs 2 approvers but only 1 are listed/],
    ['no steps', 'name: p\nmatch: [\'a="b"\']\nsteps: []\n', /steps: Too small/],
  ];
  for (const [what, text, expected] of broken) {
    test(`refused: ${what}`, () => {
      const { playbook, problems } = validatePlaybook(text, 'b.yml');
      assert.equal(playbook, undefined);
      assert.match(problems.map(formatProblem).join('\n'), expected);
    });
  }

  test('playbooks/schema.json is the schema the code validates with (run npm run schema after a change)', async () => {
    const committed = JSON.parse(await readFile(new URL('../../playbooks/schema.json', import.meta.url), 'utf8')) as unknown;
    assert.deepEqual(committed, playbookJsonSchema());
  });

  test('the shipped playbooks carry the schema line (test/unit/shipped-playbooks.test.ts renders each against its alert)', async () => {
    const dir = new URL('../../playbooks/', import.meta.url).pathname;
    const { playbooks, problems } = await loadPlaybooks(dir);
    assert.deepEqual(problems, []);
    assert.ok(playbooks.length >= 9);
    for (const p of playbooks) assert.match(await readFile(p.file, 'utf8'), /^# yaml-language-server: \$schema=\.\/schema\.json$/m);
    const runs = dryRun(playbooks, alertsFromJson(JSON.parse(await fixture('alertmanager/firing-group.json'))).slice(0, 1));
    assert.deepEqual(runs[0]!.matches.map((m) => m.playbook), ['high-error-rate']);
    assert.deepEqual(runs[0]!.matches[0]!.steps.filter((s) => s.error), []);
  });
});
