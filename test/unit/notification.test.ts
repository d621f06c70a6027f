import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNotification, parseWithSchema, wellFormedNotification } from '../../src/sources/alertmanager/notification.js';
import { formatPath } from '../../src/sources/payload.js';
import { fixture } from '../support/app.js';

const base = async () => JSON.parse(await fixture('alertmanager/firing-single.json'));

describe('parseNotification', () => {
  test('normalizes a real Alertmanager 0.25 payload', async () => {
    const parsed = parseNotification(await base());
    assert.ok(parsed.ok);
    assert.equal(parsed.value.groupKey, '{}:{alertname="DiskFillingUp", service="db"}');
    assert.equal(parsed.value.externalUrl, 'http://vm:9093');
    assert.deepEqual(parsed.value.alerts[0], {
      fingerprint: 'db0ad9e2af2646ea', status: 'firing',
      labels: { alertname: 'DiskFillingUp', instance: 'db-1:9100', service: 'db', severity: 'warning' },
      annotations: { summary: 'Disk on db-1 will fill in 4h' },
      startsAt: '2026-11-21T06:57:15.457695482Z', endsAt: null, generatorUrl: null,
    });
  });

  test('every fixture parses', async () => {
    for (const name of ['firing-group', 'partial-resolve', 'resolved-group', 'resolved-single', 'storm-2000']) {
      const parsed = parseNotification(JSON.parse(await fixture(`alertmanager/${name}.json`)));
      assert.ok(parsed.ok, name);
    }
  });

  test('accepts fields newer Alertmanagers add', async () => {
    const body = await base();
    body.notification_reason = 'group_interval';
    body.routeLabels = { team: 'db' };
    body.alerts[0].somethingNew = 1;
    assert.ok(parseNotification(body).ok);
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the cases break arbitrary JSON on purpose
  const cases: [string, (b: Record<string, any>) => void, string, string][] = [
    ['wrong version', (b) => { b.version = '3'; }, 'version', 'must be "4" (the Alertmanager webhook payload version)'],
    ['missing groupKey', (b) => { delete b.groupKey; }, 'groupKey', 'is required'],
    ['no alerts', (b) => { b.alerts = []; }, 'alerts', 'must hold at least one alert'],
    ['bad startsAt', (b) => { b.alerts[0].startsAt = 'yesterday'; }, 'alerts[0].startsAt', 'must be an RFC 3339 timestamp'],
    ['impossible date', (b) => { b.alerts[0].startsAt = '2026-13-45T00:00:00Z'; }, 'alerts[0].startsAt', 'must be an RFC 3339 timestamp'],
    ['label not a string', (b) => { b.alerts[0].labels.severity = 3; }, 'alerts[0].labels.severity', 'label values must be strings'],
    ['bad status', (b) => { b.alerts[0].status = 'burning'; }, 'alerts[0].status', 'Invalid option: expected one of "firing"|"resolved"'],
    ['empty fingerprint', (b) => { b.alerts[0].fingerprint = ''; }, 'alerts[0].fingerprint', 'must not be empty'],
    ['duplicate fingerprint', (b) => { b.alerts.push({ ...b.alerts[0] }); }, 'alerts[1].fingerprint', 'duplicate fingerprint db0ad9e2af2646ea'],
    ['year 0', (b) => { b.alerts[0].startsAt = '0000-01-01T00:00:00Z'; }, 'alerts[0].startsAt', 'must be an RFC 3339 timestamp'],
    ['a NUL in a label value', (b) => { b.alerts[0].labels.pod = 'a\u0000b'; }, 'alerts[0].labels.pod', 'contains a NUL character or an unpaired surrogate'],
    ['an unpaired surrogate', (b) => { b.commonAnnotations.summary = 'x\ud800'; }, 'commonAnnotations.summary', 'contains a NUL character or an unpaired surrogate'],
    ['a NUL in a label name', (b) => { b.alerts[0].labels['k\u0000'] = 'v'; }, 'alerts[0].labels', 'has a key with a NUL character or an unpaired surrogate'],
  ];
  for (const [name, mutate, path, message] of cases) {
    test(`refuses ${name}, naming the field`, async () => {
      const body = await base();
      mutate(body);
      assert.deepEqual(parseNotification(body), { ok: false, problem: { path, message } });
      assert.deepEqual(parseNotification(body, JSON.stringify(body)), { ok: false, problem: { path, message } }, 'given its text');
    });
  }

  test('given its JSON text, finds a NUL or a lone surrogate however it is escaped', async () => {
    const text = JSON.stringify(await base());
    const unstorable = { ok: false, problem: { path: 'alerts[0].labels.alertname', message: 'contains a NUL character or an unpaired surrogate' } };
    for (const escape of ['\\u0000', '\\uD800', '\\udbff', '\\uDc00', '\\uDFFF']) {
      const bad = text.replace('"alertname":"DiskFillingUp"', `"alertname":"Disk${escape}FillingUp"`);
      assert.notEqual(bad, text);
      assert.deepEqual(parseNotification(JSON.parse(bad), bad), unstorable, escape);
    }
    // Escapes of other characters, and a surrogate pair written as escapes, are storable.
    const fine = text.replace('"alertname":"DiskFillingUp"', '"alertname":"Disk\\u0026\\u003c\\ud83d\\udd25FillingUp"');
    const parsed = parseNotification(JSON.parse(fine), fine);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.alerts[0]!.labels.alertname, 'Disk&<🔥FillingUp');
  });

  test('refuses a body that is not an object', () => {
    assert.deepEqual(parseNotification([1, 2]), { ok: false, problem: { path: '(body)', message: 'Invalid input: expected object, received array' } });
  });

  test('emoji and other paired surrogates are fine', async () => {
    const body = await base();
    body.alerts[0].annotations.summary = 'disk 🔥 full';
    assert.ok(parseNotification(body).ok);
  });

  test('the fast path takes every fixture, and on 1,000s of mutated payloads never accepts what the schema refuses nor differs from it', async () => {
    const fixtures = [];
    for (const name of ['firing-single', 'firing-group', 'partial-resolve', 'resolved-group', 'resolved-single', 'storm-2000']) {
      const body = JSON.parse(await fixture(`alertmanager/${name}.json`));
      body.alerts = body.alerts.slice(0, 3);
      assert.deepEqual(wellFormedNotification(body), (parseWithSchema(body) as { value: unknown }).value, name);
      fixtures.push(body);
    }
    const values: unknown[] = [null, 0, 1.5, -1, 2 ** 60, '', 'x', 'x'.repeat(129), 'x'.repeat(4097), 'firing', '4', [], {}, { a: 1 }, true,
      '2026-13-45T00:00:00Z', '0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '2026-11-21T06:57:15.457695482Z', '2026-11-21 06:57:15Z'];
    // Every place in the payload: delete it, set it to each value, add a "__proto__" key beside it.
    const mutants: unknown[] = [];
    const visit = (body: unknown, path: (string | number)[]) => {
      const node = path.reduce<any>((at, k) => at[k], body); // eslint-disable-line @typescript-eslint/no-explicit-any
      if (node && typeof node === 'object') {
        for (const k of Object.keys(node)) {
          const key = Array.isArray(node) ? Number(k) : k;
          for (const v of [undefined, ...values]) mutants.push(mutate(body, [...path, key], v));
          visit(body, [...path, key]);
        }
        if (!Array.isArray(node)) mutants.push(mutate(body, [...path, '__proto__'], 'x'));
      }
    };
    const mutate = (body: unknown, path: (string | number)[], value: unknown) => {
      const copy = structuredClone(body);
      const parent = path.slice(0, -1).reduce<any>((at, k) => at[k], copy); // eslint-disable-line @typescript-eslint/no-explicit-any
      const last = path.at(-1)!;
      if (value === undefined) delete parent[last];
      else if (last === '__proto__') Object.defineProperty(parent, last, { value, enumerable: true, configurable: true, writable: true });
      else parent[last] = value;
      return copy;
    };
    for (const body of fixtures) visit(body, []);
    fixtures.forEach((body) => mutants.push(mutate(body, ['alerts', 1], structuredClone((body.alerts as unknown[])[0]))));

    let taken = 0;
    let refused = 0;
    for (const m of mutants) {
      const fast = wellFormedNotification(m);
      const schema = parseWithSchema(m);
      if (!schema.ok) refused++;
      if (!fast) continue;
      taken++;
      assert.ok(schema.ok, `the fast path accepted what the schema refuses: ${JSON.stringify(schema)}`);
      assert.deepEqual(fast, schema.value);
    }
    assert.ok(mutants.length > 3000 && taken > 500 && refused > 1000, `${mutants.length} mutants: ${taken} taken by the fast path, ${refused} refused`);
  });

  test('formatPath', () => {
    assert.equal(formatPath(['alerts', 3, 'labels', 'pod']), 'alerts[3].labels.pod');
    assert.equal(formatPath([]), '');
  });
});
