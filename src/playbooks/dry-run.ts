import { severityFromLabel } from '../incidents/severity.js';
import { selectPlaybooks, type PlaybookAlert } from './select.js';
import { renderStepParams } from './render-step.js';
import type { TemplateContext } from './template.js';
import type { Playbook } from './validate.js';

/** One step as `playbooks test` shows it: rendered, or why it cannot be. */
export interface DryStep {
  id: string;
  action: string;
  gate: string | undefined;
  params: unknown;
  error: string | undefined;
}

/** What would happen for one alert: the playbooks it matches and their steps. Runs nothing. */
export interface DryRun {
  alert: PlaybookAlert;
  matches: { playbook: string; steps: DryStep[] }[];
}

// Outputs of earlier steps exist only when they have run: shown as a marker, not rendered.
const STEP_TAG = /\{\{\s*(steps\.[^}]*?)\s*\}\}/g;

function withoutStepOutputs(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(STEP_TAG, '‹$1›');
  if (Array.isArray(value)) return value.map(withoutStepOutputs);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutStepOutputs(v)]));
  return value;
}

/** Matches and renders every playbook against each alert, as a new incident would see it. Pure. */
export function dryRun(playbooks: readonly Playbook[], alerts: readonly PlaybookAlert[]): DryRun[] {
  return alerts.map((alert) => {
    const ctx: TemplateContext = {
      alert,
      incident: {
        id: 0, number: 0, ref: 'INC-?', severity: severityFromLabel(alert.labels.severity),
        title: alert.labels.alertname ?? 'alert', status: 'triggered',
      },
      steps: {},
    };
    return {
      alert,
      matches: selectPlaybooks(playbooks, [alert]).map(({ playbook }) => ({
        playbook: playbook.definition.name,
        steps: playbook.definition.steps.map((step): DryStep => {
          const gate = step.approval && `approval by ${step.approval.approvers.join(', ')} within ${step.approval.timeout}`;
          const r = renderStepParams(step, ctx, { withValue: withoutStepOutputs(step.with), commonLabels: alert.labels });
          if (r.ok) return { id: step.id, action: step.action, gate, params: r.params, error: undefined };
          // A value that needs an earlier step's output can only be checked when that step has run.
          const pending = JSON.stringify(r.params ?? '').includes('‹steps.');
          return { id: step.id, action: step.action, gate, params: r.params, error: pending ? undefined : r.reason };
        }),
      })),
    };
  });
}

/** Alerts from a file: an Alertmanager webhook body (its alerts), one alert, or a list of alerts. */
export function alertsFromJson(json: unknown): PlaybookAlert[] {
  const list = Array.isArray(json) ? json : json && typeof json === 'object' && Array.isArray((json as { alerts?: unknown }).alerts) ? (json as { alerts: unknown[] }).alerts : [json];
  return list.map((a, i) => {
    const alert = a as { labels?: unknown; annotations?: unknown };
    if (!alert || typeof alert !== 'object' || !alert.labels || typeof alert.labels !== 'object') {
      throw new Error(`alert ${i + 1} has no labels object: give an Alertmanager webhook body or alerts with labels`);
    }
    const strings = (o: unknown) => Object.fromEntries(Object.entries((o ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    return { labels: strings(alert.labels), annotations: strings(alert.annotations) };
  });
}
