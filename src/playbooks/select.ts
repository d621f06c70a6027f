import { matchesAll } from './matchers.js';
import type { Playbook } from './validate.js';

/** An alert as playbooks see it. */
export interface PlaybookAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Each playbook that one of the alerts satisfies, with the first such alert (its templates read it). */
export function selectPlaybooks<A extends Pick<PlaybookAlert, 'labels'>>(playbooks: readonly Playbook[], alerts: readonly A[]): { playbook: Playbook; alert: A }[] {
  const out: { playbook: Playbook; alert: A }[] = [];
  for (const playbook of playbooks) {
    const alert = alerts.find((a) => matchesAll(playbook.matchers, a.labels));
    if (alert) out.push({ playbook, alert });
  }
  return out;
}
