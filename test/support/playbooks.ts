import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A temporary playbook directory holding the given files (name → YAML text). */
export function playbookDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-playbooks-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

let group = 0;
/** An Alertmanager webhook body with one firing alert of its own group (so its own incident). */
export function alertBody(labels: Record<string, string>, status: 'firing' | 'resolved' = 'firing', groupKey = `{}:{test="${++group}"}`): string {
  return JSON.stringify({
    version: '4', groupKey, truncatedAlerts: 0, status, receiver: 'firebreak',
    groupLabels: { alertname: labels.alertname }, commonLabels: labels, commonAnnotations: { summary: 'test alert' },
    externalURL: 'http://alertmanager.local:9093',
    alerts: [{
      status, labels, annotations: { summary: 'test alert' }, startsAt: '2026-11-21T10:00:00Z',
      endsAt: status === 'resolved' ? '2026-11-21T10:05:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.local:9090/graph', fingerprint: `fp${group}${labels.alertname}`,
    }],
  });
}
