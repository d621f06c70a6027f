import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createActions } from '../../src/actions/index.js';
import { createPrometheusQueryAction } from '../../src/actions/prometheus.js';
import type { ActionContext } from '../../src/runner/action.js';
import { FakeHttp, prometheusAnswer } from '../support/fake-http.js';

const NOW = new Date('2026-11-21T12:00:00Z');
const ctx = (): ActionContext => ({
  signal: new AbortController().signal,
  incident: { id: 1, number: 7, ref: 'INC-7', severity: 'sev1', title: 'Pods crash looping' },
});

describe('actions against local services (the real fetch)', () => {
  let fake: FakeHttp;
  let actions: ReturnType<typeof createActions>;
  before(async () => {
    fake = await FakeHttp.start();
    fake.route('POST /api/v2/silences', () => ({ status: 200, body: { silenceID: 'sil-1' } }));
    fake.route('POST /api/v1/query_range', () => prometheusAnswer('matrix'));
    fake.route('POST /api/v1/query', () => ({ status: 400, body: { status: 'error', errorType: 'bad_data', error: 'parse error at char 4' } }));
    fake.route('POST /deploy', () => ({ status: 409, body: { error: 'busy' } }));
    fake.route('POST /big/api/v1/query', () => ({ status: 200, body: { status: 'success', data: { resultType: 'vector', result: [{ metric: { pad: 'x'.repeat(4096) } }] } } }));
    actions = createActions({
      fetch, clock: { now: () => NOW }, execAllowlist: [], execPath: '/usr/bin:/bin', execEnv: {}, httpAllowedHosts: [fake.host],
      prometheusUrl: fake.url, alertmanagerUrl: fake.url, chat: undefined, page: undefined, captureBytes: 1024,
      kubernetes: { port: undefined, namespaces: [], kinds: [] }, jira: undefined, linear: { port: undefined, teamId: undefined },
    });
  });
  after(() => fake.close());

  test('alertmanager.silence silences what its matchers match, for the duration; without matchers it refuses', async () => {
    const r = await actions['alertmanager.silence'].run({ duration: '1h', matchers: ['alertname="PodCrashLooping"', 'service="search"'] }, ctx());
    const body = JSON.parse(fake.to('/api/v2/silences')[0]!.body) as Record<string, unknown>;
    assert.deepEqual(body, {
      matchers: [{ name: 'alertname', value: 'PodCrashLooping', isRegex: false, isEqual: true }, { name: 'service', value: 'search', isRegex: false, isEqual: true }],
      startsAt: '2026-11-21T12:00:00.000Z', endsAt: '2026-11-21T13:00:00.000Z', createdBy: 'firebreak', comment: 'INC-7: Pods crash looping',
    });
    assert.deepEqual((r.output as { silence_id: string }).silence_id, 'sil-1');
    await actions['alertmanager.silence'].run({ duration: '5m', matchers: ['pod!~"search-0.*"'] }, ctx());
    assert.deepEqual((JSON.parse(fake.to('/api/v2/silences')[1]!.body) as { matchers: unknown }).matchers,
      [{ name: 'pod', value: 'search-0.*', isRegex: true, isEqual: false }]);
    await assert.rejects(actions['alertmanager.silence'].run({ duration: '5m' }, ctx()),
      (err: Error & { retryable: boolean }) => /the step has no matchers/.test(err.message) && !err.retryable);
    assert.equal(fake.to('/api/v2/silences').length, 2);
  });

  test('prometheus.query_range asks for the range up to now; a bad query fails for good with Prometheus\'s words', async () => {
    const r = await actions['prometheus.query_range'].run({ query: 'up', range: '1h' }, ctx());
    const sent = new URLSearchParams(fake.to('/api/v1/query_range')[0]!.body);
    assert.deepEqual([sent.get('query'), sent.get('start'), sent.get('end'), sent.get('step')],
      ['up', String(NOW.getTime() / 1000 - 3600), String(NOW.getTime() / 1000), '30']);
    assert.equal((r.output as { resultType: string }).resultType, 'matrix');
    await assert.rejects(actions['prometheus.query'].run({ query: 'up{' }, ctx()),
      (err: Error & { retryable: boolean }) => /bad_data: parse error at char 4/.test(err.message) && !err.retryable);
  });

  test('http: an unexpected status fails with the response kept; dot segments and other hosts are refused unsent', async () => {
    await assert.rejects(actions.http.run({ method: 'POST', url: `${fake.url}deploy` }, ctx()),
      (err: Error & { retryable: boolean; evidence?: { body: string } }) =>
        /answered 409, expected 2xx/.test(err.message) && !err.retryable && err.evidence!.body.includes('busy'));
    const ok = await actions.http.run({ method: 'POST', url: `${fake.url}deploy`, expect_status: [409] }, ctx());
    assert.equal((ok.output as { status: number }).status, 409);
    const before = fake.received.length;
    await assert.rejects(actions.http.run({ method: 'GET', url: `${fake.url}api/../admin` }, ctx()), /\. or \.\. segment/);
    await assert.rejects(actions.http.run({ method: 'GET', url: `${fake.url}api/%2e%2e/admin` }, ctx()), /\. or \.\. segment/);
    await assert.rejects(actions.http.run({ method: 'GET', url: 'http://localhost:1/x' }, ctx()), /localhost:1 is not in HTTP_ACTION_ALLOWED_HOSTS/);
    // The URL parser drops tabs and newlines: ".\t." would be ".." once parsed.
    await assert.rejects(actions.http.run({ method: 'GET', url: `${fake.url}api/.\t./admin` }, ctx()),
      (err: Error & { retryable: boolean }) => /holds a space or a control character; nothing was sent/.test(err.message) && !err.retryable);
    assert.equal(fake.received.length, before);
  });

  test('a Prometheus answer over the cap fails the step for good, its start kept as evidence', async () => {
    const query = createPrometheusQueryAction({ fetch, baseUrl: `${fake.url}big/`, clock: { now: () => NOW }, maxBytes: 1024 });
    await assert.rejects(query.run({ query: 'up' }, ctx()), (err: Error & { retryable: boolean; evidence?: { body: string } }) =>
      /prometheus: the answer is larger than 1024 bytes \(\d+\): narrow the query/.test(err.message) && !err.retryable && err.evidence!.body.length === 1024);
  });

  test('exec refuses a program that is not allow-listed, and runs nothing', async () => {
    await assert.rejects(actions.exec.run({ argv: ['sh', '-c', 'touch /tmp/firebreak-sh'] }, ctx()), /"sh" is not in EXEC_ALLOWLIST, which is empty; nothing was run/);
  });
});
