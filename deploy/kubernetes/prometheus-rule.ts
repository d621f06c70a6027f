/**
 * Writes overlays/prometheus-operator/prometheus-rule.yaml: deploy/prometheus/firebreak-rules.yml
 * as a Prometheus Operator PrometheusRule, so that the two never differ.
 *   npm run deploy:prometheus-rule
 * test/deploy/kubernetes.test.ts fails when the file is not what this script writes now.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const RULES_FILE = new URL('../prometheus/firebreak-rules.yml', import.meta.url);
export const PROMETHEUS_RULE_FILE = new URL('overlays/prometheus-operator/prometheus-rule.yaml', import.meta.url);

/** The PrometheusRule text for a Prometheus rules file's text. */
export function renderPrometheusRule(rulesText: string): string {
  const { groups } = parse(rulesText) as { groups: unknown[] };
  const rule = {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'firebreak' },
    spec: { groups },
  };
  return '# Generated from deploy/prometheus/firebreak-rules.yml by `npm run deploy:prometheus-rule`: edit that file, not this one.\n'
    + stringify(rule, { lineWidth: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(PROMETHEUS_RULE_FILE, renderPrometheusRule(await readFile(RULES_FILE, 'utf8')));
  console.log(`wrote ${fileURLToPath(PROMETHEUS_RULE_FILE)}`);
}
