import { matchesAll } from './matchers.js';
import type { Playbook } from './validate.js';

/** An alert as playbooks see it. */
export interface PlaybookAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Each playbook that one of the alerts satisfies, with the first such alert (its templates read it). */
export function selectPlaybooks(playbooks: readonly Playbook[], alerts: readonly PlaybookAlert[]): { playbook: Playbook; alert: PlaybookAlert }[] {
  const out: { playbook: Playbook; alert: PlaybookAlert }[] = [];
  for (const playbook of playbooks) {
    const alert = alerts.find((a) => matchesAll(playbook.matchers, a.labels));
    if (alert) out.push({ playbook, alert });
  }
  return out;
}
