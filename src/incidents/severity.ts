import type { Severity } from './types.js';

// Alertmanager `severity` label values as teams actually write them. Unknown or missing → sev3: it
// is shown and tracked, but (with PagerDuty's default sev2 threshold) nobody is woken for it.
const BY_LABEL: Record<string, Severity> = {
  critical: 'sev1', emergency: 'sev1', page: 'sev1', p1: 'sev1', sev1: 'sev1', '1': 'sev1',
  error: 'sev2', high: 'sev2', major: 'sev2', p2: 'sev2', sev2: 'sev2', '2': 'sev2',
  warning: 'sev3', warn: 'sev3', medium: 'sev3', minor: 'sev3', p3: 'sev3', sev3: 'sev3', '3': 'sev3',
  info: 'sev4', informational: 'sev4', low: 'sev4', none: 'sev4', p4: 'sev4', sev4: 'sev4', '4': 'sev4',
};

export const DEFAULT_SEVERITY: Severity = 'sev3';

/** Maps a `severity` label value to sev1..sev4. */
export function severityFromLabel(value: string | undefined): Severity {
  return (value && BY_LABEL[value.trim().toLowerCase()]) || DEFAULT_SEVERITY;
}

/** The worst of several severities (sev1 beats sev2). */
export function worstSeverity(severities: Iterable<Severity>, fallback: Severity = DEFAULT_SEVERITY): Severity {
  let worst: Severity | undefined;
  for (const s of severities) if (worst === undefined || s < worst) worst = s;
  return worst ?? fallback;
}
