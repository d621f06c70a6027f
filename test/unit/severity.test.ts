import assert from 'node:assert/strict';
import { test } from 'node:test';
import { severityFromLabel, worstSeverity } from '../../src/incidents/severity.js';

test('severity labels map to sev1..sev4, unknown to sev3', () => {
  const table: [string | undefined, string][] = [
    ['critical', 'sev1'], ['CRITICAL ', 'sev1'], ['page', 'sev1'], ['P1', 'sev1'], ['error', 'sev2'], ['high', 'sev2'],
    ['warning', 'sev3'], ['info', 'sev4'], ['sev4', 'sev4'], ['2', 'sev2'], ['whatever', 'sev3'], [undefined, 'sev3'], ['', 'sev3'],
  ];
  for (const [label, expected] of table) assert.equal(severityFromLabel(label), expected, String(label));
});

test('worstSeverity picks the most severe', () => {
  assert.equal(worstSeverity(['sev3', 'sev1', 'sev2']), 'sev1');
  assert.equal(worstSeverity([], 'sev4'), 'sev4');
});
