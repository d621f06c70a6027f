import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RE2JS } from 're2js';
import { matches, parseMatcher } from '../../src/playbooks/matchers.js';
import { renderStepParams } from '../../src/playbooks/render-step.js';
import type { TemplateContext } from '../../src/playbooks/template.js';
import { formatProblem, validatePlaybook } from '../../src/playbooks/validate.js';
import { DOT_SEGMENTS, HOSTILE } from '../support/hostile.js';

// Every context a template can sit in, as a playbook writes it; the value is alert.labels.v.
const PLAYBOOK = `name: contexts
match: ['alertname="A"']
steps:
  - id: path
    action: http
    with: { url: "https://deploy.internal/api/v1/services/{{ alert.labels.v }}/rollback" }
  - id: query
    action: http
    with: { url: "https://deploy.internal/api/v1/rollback?service={{ alert.labels.v }}&dry_run=true" }
  - id: header
    action: http
    with: { url: "https://deploy.internal/x", headers: { X-Service: "{{ alert.labels.v }}" } }
  - id: json
    action: http
    with: { url: "https://deploy.internal/x", body: { service: "{{ alert.labels.v }}" } }
  - id: promql
    action: prometheus.query
    with: { query: 'sum(rate(http_requests_total{service="{{ alert.labels.v }}",code=~"5.."}[5m]))' }
  - id: promql-single
    action: prometheus.query
    with: { query: "up{service='{{ alert.labels.v }}'}" }
  - id: promql-regex
    action: prometheus.query
    with: { query: 'up{service=~"{{ alert.labels.v }}-canary"}' }
  - id: silence
    action: alertmanager.silence
    with: { duration: 1h, matchers: ['service="{{ alert.labels.v }}"', 'pod=~"{{ alert.labels.v }}-.*"'] }
  - id: argv
    action: exec
    with: { argv: [kubectl, "--selector=app={{ alert.labels.v }}"] }
`;

const { playbook, problems } = validatePlaybook(PLAYBOOK, 'contexts.yml');
const steps = new Map(playbook?.definition.steps.map((s) => [s.id, s]));
const ctx = (v: string): TemplateContext => ({
  alert: { labels: { alertname: 'A', v }, annotations: {} },
  incident: { id: 1, number: 7, ref: 'INC-7', severity: 'sev2', title: 'T', status: 'triggered' },
  steps: {},
});
const render = (id: string, v: string) => renderStepParams(steps.get(id)!, ctx(v));
const params = (id: string, v: string) => {
  const r = render(id, v);
  if (!r.ok) throw new Error(r.reason);
  return r.params as Record<string, unknown> & { url: string; query: string; matchers: string[] };
};
// What Prometheus reads back from a PromQL string literal (Go's unquoting of what PROMQL escapes).
const unquotePromql = (body: string) => body.replace(/\\(x[0-9a-f]{2}|.)/g, (_m, c: string) =>
  c.length === 3 ? String.fromCharCode(parseInt(c.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? c);

describe('escaping: hostile values through the real render path', () => {
  test('the playbook with a template in every context passes the check', () => assert.deepEqual(problems, []));

  for (const { name, value } of HOSTILE) {
    describe(name, () => {
      test('URL path: one percent-encoded segment under the literal prefix, or the step fails', () => {
        const r = render('path', value);
        if (DOT_SEGMENTS.has(value)) {
          assert.equal(r.ok, false);
          assert.match((r as { reason: string }).reason, /once rendered, the URL's path has a \. or \.\. segment/);
          return;
        }
        const { url } = params('path', value);
        const parsed = new URL(url);
        assert.equal(parsed.origin, 'https://deploy.internal');
        const m = /^\/api\/v1\/services\/([^/?#]*)\/rollback$/.exec(parsed.pathname);
        assert.ok(m, parsed.pathname);
        assert.equal(decodeURIComponent(m[1]!), value);
        assert.equal(parsed.search, '');
        assert.doesNotMatch(url, /[\s\\\x00-\x1f]/);
      });

      test('URL query: one percent-encoded value; the path and the other parameters unchanged', () => {
        const parsed = new URL(params('query', value).url);
        assert.equal(parsed.pathname, '/api/v1/rollback');
        assert.deepEqual([...parsed.searchParams], [['service', value], ['dry_run', 'true']]);
        assert.equal(parsed.hash, '');
      });

      test('header: the value as it is, or refused when it holds a line break or what HTTP cannot carry', () => {
        const r = render('header', value);
        if (/[\r\n]/.test(value)) {
          assert.equal(r.ok, false);
          assert.match((r as { reason: string }).reason, /holds a line break \(CR or LF\) or NUL, which no header value may hold/);
        } else if (/[^\t\x20-\x7e]/.test(value)) {
          assert.equal(r.ok, false);
          assert.match((r as { reason: string }).reason, /holds a character no header value can carry \(a control character, or one beyond U\+00FF\)/);
        } else assert.equal((params('header', value).headers as Record<string, string>)['X-Service'], value);
      });

      test('JSON body: a JSON string', () => {
        assert.deepEqual(JSON.parse(JSON.stringify(params('json', value).body)), { service: value });
      });

      test('PromQL "…" and \'…\' strings: escaped, so the string ends where the template says', () => {
        const double = params('promql', value).query;
        const m = /^sum\(rate\(http_requests_total\{service="((?:[^"\\]|\\.)*)",code=~"5\.\."\}\[5m\]\)\)$/.exec(double);
        assert.ok(m, double);
        assert.equal(unquotePromql(m[1]!), value);
        const single = params('promql-single', value).query;
        const s = /^up\{service='((?:[^'\\]|\\.)*)'\}$/.exec(single);
        assert.ok(s, single);
        assert.equal(unquotePromql(s[1]!), value);
      });

      test('PromQL regex string: the value matches itself only', () => {
        const query = params('promql-regex', value).query;
        const m = /^up\{service=~"((?:[^"\\]|\\.)*)"\}$/.exec(query);
        assert.ok(m, query);
        const regex = RE2JS.compile(`^(?:${unquotePromql(m[1]!)})$`);
        assert.equal(regex.matches(`${value}-canary`), true);
        assert.equal(regex.matches(`${value}x-canary`), false);
      });

      test('silence matchers: the value read back exactly; in a regex, it matches itself only', () => {
        const [equal, regex] = params('silence', value).matchers.map(parseMatcher);
        assert.deepEqual([equal!.name, equal!.op, equal!.value], ['service', '=', value]);
        assert.equal(matches(regex!, { pod: `${value}-0` }), true);
        assert.equal(matches(regex!, { pod: `x${value}-0` }), false);
      });

      test('argv: one argument', () => assert.deepEqual(params('argv', value).argv, ['kubectl', `--selector=app=${value}`]));
    });
  }

  test('a value that is not valid Unicode cannot go in a URL', () => {
    assert.deepEqual(render('path', 'x\uD800'), { ok: false, reason: 'the value of {{ alert.labels.v }} is not valid Unicode' });
  });
  test('a NUL cannot go in a header', () => assert.equal(render('header', 'a\0b').ok, false));
});

describe('escaping: templates where no escaping can help are refused by the check, with file and line', () => {
  const step = (action: string, withText: string) => `name: p
match: ['alertname="A"']
steps:
  - id: s
    action: ${action}
    with: ${withText}
`;
  const cases: [string, string, string, RegExp][] = [
    ['a template in the host', 'http', '{ url: "https://{{ alert.labels.v }}.internal/x" }', /a template in a URL may only stand in its path or query/],
    ['a template right after the host', 'http', '{ url: "https://deploy.internal{{ alert.labels.v }}" }', /write the scheme, the host and the \/ after it literally/],
    ['a template as the whole URL', 'http', '{ url: "{{ alert.labels.v }}" }', /may only stand in its path or query/],
    ['PromQL outside a string', 'prometheus.query', '{ query: "rate(x[{{ alert.labels.v }}])" }', /must stand inside a "…" or '…' string/],
    ['PromQL as a label name', 'prometheus.query', '{ query: \'up{ {{ alert.labels.v }}="x"}\' }', /must stand inside a "…" or '…' string/],
    ['PromQL in a raw string', 'prometheus.query', '{ query: "up{a=`{{ alert.labels.v }}`}" }', /raw string, which cannot escape a value/],
    ['PromQL in a comment', 'prometheus.query', '{ query: "up # {{ alert.labels.v }}" }', /must stand inside/],
    ['PromQL after a backslash', 'prometheus.query', '{ query: \'up{a="\\{{ alert.labels.v }}"}\' }', /may not follow a backslash/],
    ['a matcher value not quoted', 'alertmanager.silence', '{ duration: 1h, matchers: ["service={{ alert.labels.v }}"] }', /must stand inside its double-quoted value/],
    ['a JSON body written as text', 'http', '{ url: "https://d.internal/x", body: \'{"service": "{{ alert.labels.v }}"}\' }', /write body as a YAML object/],
  ];
  for (const [what, action, withText, reason] of cases) {
    test(what, () => {
      const r = validatePlaybook(step(action, withText), 'p.yml');
      assert.equal(r.playbook, undefined);
      const text = r.problems.map(formatProblem).join('\n');
      assert.match(text, /^p\.yml:6: steps\[0\]\.with\./);
      assert.match(text, reason);
    });
  }
  test('a plain-text body, a query with values in strings, a literal URL: accepted', () => {
    for (const withText of [
      '{ url: "https://d.internal/x", body: "service {{ alert.labels.v }} is down" }',
      '{ url: "https://d.internal/x?a=1" }',
    ]) assert.deepEqual(validatePlaybook(step('http', withText), 'p.yml').problems, [], withText);
    assert.deepEqual(validatePlaybook(step('prometheus.query', '{ query: \'up{a="{{ alert.labels.v }}"} # a "comment"\' }'), 'p.yml').problems, []);
  });
});

describe('silence matchers are written out when rendered', () => {
  const silence = validatePlaybook(`name: s
match: ['alertname="A"']
steps:
  - id: s
    action: alertmanager.silence
    with: { duration: 1h }
`, 's.yml').playbook!.definition.steps[0]!;
  test('by default, the labels the incident\'s alerts share, each value escaped', () => {
    assert.deepEqual(renderStepParams(silence, ctx('x'), { commonLabels: { alertname: 'A', service: 'a"b\\c' } }),
      { ok: true, params: { duration: '1h', matchers: ['alertname="A"', 'service="a\\"b\\\\c"'] } });
  });
  test('no shared labels: the step fails rather than silence everything', () => {
    const r = renderStepParams(silence, ctx('x'), { commonLabels: {} });
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /share no labels.*give matchers/);
  });
});
