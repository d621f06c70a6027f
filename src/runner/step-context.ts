import type { Queryable } from '../db/db.js';
import { incidentRef } from '../incidents/types.js';
import { canonicalJson, sha256 } from '../lib/canonical-json.js';
import { parseDuration } from '../lib/duration.js';
import { NOT_IDEMPOTENT_BY_DEFAULT } from '../playbooks/action-params.js';
import type { Step } from '../playbooks/schema.js';
import { renderStepParams } from '../playbooks/render-step.js';
import type { TemplateContext } from '../playbooks/template.js';
import type { StepPolicy } from './decide.js';
import { earlierSteps, type RunIncident, type RunRow, type StepRow } from './runs-sql.js';

/** The hash an approval binds to: exactly this action with exactly these parameters. */
export const approvalHash = (action: string, params: unknown): string => sha256(canonicalJson({ action, params }));

/** The options of a step, as the decisions read them. */
export function policyOf(step: Step): StepPolicy {
  return {
    gated: step.approval !== undefined,
    idempotent: step.idempotent ?? !NOT_IDEMPOTENT_BY_DEFAULT.has(step.action),
    runWhenResolved: step.run_when_resolved,
    onFailure: step.on_failure,
    attempts: step.retry?.attempts ?? 1,
    backoffMs: parseDuration(step.retry?.backoff ?? '1s'),
  };
}

/** Renders a step's parameters for this run; a clear message (never a partial value) when it cannot. */
export async function renderStep(
  tx: Queryable, run: RunRow, step: StepRow, def: Step, incident: RunIncident,
): Promise<{ ok: true; params: Record<string, unknown> } | { ok: false; reason: string }> {
  const ctx: TemplateContext = {
    alert: run.alert,
    incident: {
      id: incident.id, number: incident.number, ref: incidentRef(incident.number), severity: incident.severity,
      title: incident.title, status: incident.status,
    },
    steps: Object.fromEntries((await earlierSteps(tx, run.id, step.position)).map((s) => [s.stepId, { output: s.output, status: s.status }])),
  };
  const rendered = renderStepParams(def, ctx, { commonLabels: incident.commonLabels });
  return rendered.ok ? rendered : { ok: false, reason: `step ${def.id}: ${rendered.reason}` };
}
