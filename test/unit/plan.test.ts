import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AlertNotice } from '../../src/sources/model.js';
import { describeAlert, incidentTitle, listAlerts, planIntake, summarizeBatch, type KnownAlert } from '../../src/incidents/plan.js';

const notice = (status: 'firing' | 'resolved', fingerprint = 'f1'): AlertNotice => ({
  fingerprint, status, labels: { alertname: 'A' }, annotations: {}, startsAt: '2026-01-01T00:00:00Z', endsAt: null, generatorUrl: null,
});
// Stored rows start earlier than the notices (2026-01-01T00:00:00Z), as after a restamp.
const STORED = '2025-12-31T23:59:00.123456Z';
const row = (id: number, status: 'firing' | 'resolved', incidentId = 7): KnownAlert => ({ id, incidentId, incidentNumber: incidentId, status, startsAt: STORED });

describe('planIntake', () => {
  // [case, notice status, exact row, latest row, expected steps]
  const cases: [string, 'firing' | 'resolved', KnownAlert | undefined, KnownAlert | undefined, object[]][] = [
    ['a new alert fires', 'firing', undefined, undefined,
      [{ outcome: 'fired', rowId: undefined, incident: 'target', status: 'firing' }]],
    ['a firing alert is re-sent', 'firing', row(1, 'firing'), row(1, 'firing'),
      [{ outcome: 'repeat', rowId: 1, incident: 7, status: 'firing' }]],
    ['a late firing notice for a resolved instance', 'firing', row(1, 'resolved'), row(1, 'resolved'),
      [{ outcome: 'repeat', rowId: 1, incident: 7, status: 'firing' }]],
    ['the fingerprint fires again with a new startsAt', 'firing', undefined, row(1, 'resolved'),
      [{ outcome: 'refired', rowId: undefined, incident: 'target', status: 'firing' }]],
    ['a new instance while the old one is still firing here', 'firing', undefined, row(1, 'firing', 3),
      [{ outcome: 'resolved', rowId: 1, incident: 3, status: 'resolved', superseded: true, rowStartsAt: STORED },
        { outcome: 'refired', rowId: undefined, incident: 'target', status: 'firing' }]],
    ['a firing alert resolves', 'resolved', row(1, 'firing'), row(1, 'firing'),
      [{ outcome: 'resolved', rowId: 1, incident: 7, status: 'resolved' }]],
    ['a resolve with a restamped startsAt', 'resolved', undefined, row(1, 'firing'),
      [{ outcome: 'resolved', rowId: 1, incident: 7, status: 'resolved', rowStartsAt: STORED }]],
    ['a resolve re-sent', 'resolved', row(1, 'resolved'), row(1, 'resolved'),
      [{ outcome: 'repeat', rowId: 1, incident: 7, status: 'resolved' }]],
    ['a restamped resolve re-sent', 'resolved', undefined, row(1, 'resolved'),
      [{ outcome: 'repeat', rowId: 1, incident: 7, status: 'resolved', rowStartsAt: STORED }]],
    ['an alert first seen already resolved', 'resolved', undefined, undefined,
      [{ outcome: 'resolved', rowId: undefined, incident: 'target', status: 'resolved' }]],
  ];
  for (const [name, status, exact, latest, expected] of cases) {
    test(name, () => {
      const plan = planIntake([notice(status)], [{ exact, latest }]);
      assert.deepEqual(plan.steps, expected.map((s) => ({ index: 0, ...s })));
      assert.equal(plan.needsTarget, expected.some((s) => (s as { incident: unknown }).incident === 'target'));
    });
  }
});

describe('descriptions', () => {
  test('describeAlert names the labels that tell alerts of a group apart', () => {
    const a = { ...notice('firing'), labels: { alertname: 'HighErrorRate', service: 'checkout', pod: 'p-1', severity: 'critical' } };
    assert.equal(describeAlert(a, { alertname: 'HighErrorRate', service: 'checkout' }), 'HighErrorRate (pod=p-1)');
    assert.equal(describeAlert(a, { alertname: 'HighErrorRate', service: 'checkout', pod: 'p-1' }), 'HighErrorRate');
  });
  test('summarizeBatch describes one alert and names several', () => {
    const alert = (labels: Record<string, string>, fingerprint = 'f1') => ({ ...notice('firing', fingerprint), labels });
    const group = { service: 'checkout' };
    assert.equal(summarizeBatch('fired', [alert({ alertname: 'A', x: '1', service: 'checkout' })], group), 'Alert firing: A (x=1)');
    assert.equal(summarizeBatch('resolved', [alert({ alertname: 'A', x: '1' }), alert({ alertname: 'A', x: '2' }), alert({ alertname: 'B' })], group),
      '3 alerts resolved: A, B');
    assert.equal(summarizeBatch('refired', ['A', 'B', 'C', 'D', 'E'].map((name) => alert({ alertname: name })), group),
      '5 alerts firing again: A, B, C, and 2 more');
    assert.equal(summarizeBatch('fired', [alert({}, 'ab12'), alert({}, 'cd34')], group), '2 alerts firing: ab12, cd34', 'no alertname: the fingerprint');
  });
  test('incidentTitle', () => {
    assert.equal(incidentTitle({ alertname: 'HighErrorRate', service: 'checkout' }, {}), 'HighErrorRate on checkout');
    assert.equal(incidentTitle({}, { alertname: 'X' }), 'X');
    assert.equal(incidentTitle({ alertname: 'Y'.repeat(300) }, {}).length, 200);
    assert.equal(incidentTitle({ alertname: `${'Y'.repeat(198)}😀😀` }, {}), `${'Y'.repeat(198)}…`, 'a surrogate pair is never split');
  });
  test('label values of any length are named cut: the alerts table has them whole', () => {
    const a = { ...notice('firing'), labels: { alertname: `A${'a'.repeat(1_000_000)}`, service: 'x-'.repeat(500_000) } };
    const summary = summarizeBatch('fired', [a], {});
    assert.equal(summary, `Alert firing: A${'a'.repeat(98)}… (service=${'x-'.repeat(49)}x…)`);
  });
});

describe('listAlerts', () => {
  test('groups fingerprints by startsAt in the order met, superseded alerts apart', () => {
    const t1 = '2026-01-01T00:00:00Z';
    const t2 = '2026-01-01T00:05:00.123456789Z';
    assert.deepEqual(listAlerts([
      { fingerprint: 'a', startsAt: t1 },
      { fingerprint: 'b', startsAt: t2 },
      { fingerprint: 'c', startsAt: t1, superseded: true },
      { fingerprint: 'd', startsAt: t1, superseded: false },
      { fingerprint: 'e', startsAt: t2 },
      { fingerprint: 'f', startsAt: t1, superseded: true },
    ]), [
      { startsAt: t1, fingerprints: ['a', 'd'] },
      { startsAt: t2, fingerprints: ['b', 'e'] },
      { startsAt: t1, fingerprints: ['c', 'f'], superseded: true },
    ]);
    assert.deepEqual(listAlerts([]), []);
  });
});
