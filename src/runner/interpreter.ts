import type { Db, Queryable } from '../db/db.js';
import { appendTimeline } from '../incidents/timeline.js';
import { FIREBREAK_ACTOR, incidentRef, OPEN_STATUSES, type IncidentStatus } from '../incidents/types.js';
import type { Clock } from '../lib/clock.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { describeError, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { redactSecrets } from '../lib/redact.js';
import type { ActionName } from '../playbooks/action-params.js';
import type { Step } from '../playbooks/schema.js';
import { ActionFailure, type Action, type ActionResult, type Capture } from './action.js';
import { continueAfter, decideFailure, decideStep } from './decide.js';
import { insertEvidence, prepareEvidence, prepareOutput } from './evidence.js';
import { approvalPostJob, attentionJob, evidenceJob } from './jobs.js';
import { advance, runEvent, stopRun } from './progress.js';
import { enqueueJob } from '../queue/queue.js';
import { readStep, updateStep } from './runs-sql.js';
import { approvalHash, policyOf, renderStep } from './step-context.js';
import type { JobHandler } from '../queue/worker.js';

export interface InterpreterDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  actions: Readonly<Record<ActionName, Action>>;
  evidenceMaxBytes: number;
  /** For retry jitter; injected so tests can fix it. */
  random?: () => number;
}

/** A step given no timeout may run this long. */
export const DEFAULT_STEP_TIMEOUT_MS = 5 * 60_000;

type Loaded = NonNullable<Awaited<ReturnType<typeof readStep>>>;
type Started = { st: Loaded; def: Step; params: Record<string, unknown>; attempt: number };

/**
 * The `playbook.step` job: decides (decide.ts), then does. Three phases: a transaction that claims
 * the step (status `running`), the action outside any transaction, a transaction that records the
 * outcome with its evidence and timeline and queues what comes next. A crash between the first and
 * the last leaves the step `running`: the next claim of its job sees it was interrupted.
 */
export function createStepHandler(deps: InterpreterDeps): JobHandler {
  const { db, clock, metrics } = deps;
  const random = deps.random ?? Math.random;

  return async (job) => {
    const stepRunId = Number(job.payload.stepRunId);
    const now = clock.now();
    const begun = await db.transaction(async (tx): Promise<Started | { postponeMs: number } | null> => {
      const st = await readStep(tx, stepRunId, true);
      if (!st || st.run.status !== 'running') return null;
      const { step, run, incident, approval } = st;
      const def = run.definition.steps[step.position]!;
      const policy = policyOf(def);
      const decision = decideStep(policy, {
        status: step.status, attempts: step.attempts, incidentOpen: OPEN_STATUSES.includes(incident.status as IncidentStatus),
        approval: approval && { status: approval.status, hashMatches: approval.paramsHash === approvalHash(step.action, step.params) },
      });
      const ref = incidentRef(incident.number);
      switch (decision.kind) {
        case 'nothing':
          return null;
        case 'cancel':
          await updateStep(tx, step.id, { status: 'cancelled', finished: now });
          await appendTimeline(tx, [runEvent(run, now, 'step.cancelled', FIREBREAK_ACTOR, `${ref} is ${incident.status}: step ${def.id} of ${run.playbook} cancelled`, { step: def.id })]);
          metrics.steps.inc({ action: def.action, outcome: 'cancelled' });
          await advance(tx, run, now, FIREBREAK_ACTOR);
          return null;
        case 'needs_attention':
          await updateStep(tx, step.id, { status: 'needs_attention', error: 'interrupted: firebreak stopped while this step ran, so whether it took effect is unknown' });
          await appendTimeline(tx, [runEvent(run, now, 'step.needs_attention', FIREBREAK_ACTOR,
            `Step ${def.id} of ${run.playbook} was interrupted and is not safe to repeat: it waits for someone to retry, skip or abort`, { step: def.id })]);
          await enqueueJob(tx, attentionJob(run.incidentId, step.id));
          metrics.steps.inc({ action: def.action, outcome: 'needs_attention' });
          return null;
        case 'refuse':
          metrics.steps.inc({ action: def.action, outcome: 'refused' });
          await failStep(tx, st, def, decision.reason, null, now);
          return null;
        case 'request_approval': {
          const rendered = await renderStep(tx, run, step, def, incident);
          if (!rendered.ok) {
            await failStep(tx, st, def, rendered.reason, null, now);
            return null;
          }
          const hash = approvalHash(step.action, rendered.params);
          const a = def.approval!;
          const { rows } = await tx.query<{ id: number }>(
            `INSERT INTO approvals (step_run_id, incident_id, policy, requested_by, params_hash, requested_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
            [step.id, run.incidentId, JSON.stringify(a), run.requestedBy, hash, now, new Date(now.getTime() + parseDuration(a.timeout))],
          );
          await updateStep(tx, step.id, { status: 'waiting_approval', params: rendered.params, paramsHash: hash });
          await appendTimeline(tx, [runEvent(run, now, 'approval.requested', FIREBREAK_ACTOR,
            `Step ${def.id} of ${run.playbook} (${def.action}) waits for approval by ${a.approvers.join(', ')} (expires in ${a.timeout})`,
            { step: def.id, approval: rows[0]!.id, paramsHash: hash })]);
          await enqueueJob(tx, approvalPostJob(run.incidentId, rows[0]!.id));
          metrics.approvals.inc({ outcome: 'requested' });
          return null;
        }
        case 'run': {
          let params = step.params ?? {};
          if (!policy.gated) {
            const rendered = await renderStep(tx, run, step, def, incident);
            if (!rendered.ok) {
              await failStep(tx, st, def, rendered.reason, null, now);
              return null;
            }
            params = rendered.params;
          }
          if (def.action === 'wait') {
            // Held as a delayed job rather than a sleeping worker; a crash does not restart the wait.
            const since = step.startedAt ?? now;
            const leftMs = since.getTime() + parseDuration(String(params.duration)) - now.getTime();
            if (leftMs > 0) {
              if (!step.startedAt) await updateStep(tx, step.id, { status: 'pending', params, started: now });
              return { postponeMs: leftMs };
            }
          }
          await updateStep(tx, step.id, { status: 'running', params, paramsHash: approvalHash(step.action, params), started: now, countAttempt: true });
          await appendTimeline(tx, [runEvent(run, now, 'step.started', FIREBREAK_ACTOR,
            `Step ${def.id} of ${run.playbook} (${def.action}) started${step.attempts ? `, attempt ${step.attempts + 1}` : ''}`, { step: def.id, attempt: step.attempts + 1 })]);
          return { st, def, params, attempt: step.attempts + 1 };
        }
      }
    });
    if (!begun || 'postponeMs' in begun) return begun ?? undefined;
    return execute(begun);
  };

  async function execute({ st, def, params, attempt }: Started): Promise<void | { postponeMs: number }> {
    const { incident } = st;
    const log = deps.logger.child({ incident: incidentRef(incident.number), playbook: st.run.playbook, step: def.id, attempt });
    const timeoutMs = def.timeout ? parseDuration(def.timeout) : DEFAULT_STEP_TIMEOUT_MS;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let result: ActionResult | undefined;
    let failure: unknown;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(new ActionFailure(`step ${def.id} timed out after ${formatDuration(timeoutMs)}`, { retryable: true }));
        }, timeoutMs);
      });
      const ctx = {
        signal: controller.signal, commonLabels: incident.commonLabels,
        incident: { id: incident.id, number: incident.number, ref: incidentRef(incident.number), severity: incident.severity, title: incident.title },
      };
      result = await Promise.race([deps.actions[def.action as ActionName].run(params, ctx), timedOut]);
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(timer);
    }
    const now = clock.now();
    if (result) {
      log.info({ summary: result.summary }, 'step succeeded');
      metrics.steps.inc({ action: def.action, outcome: 'succeeded' });
      await db.transaction(async (tx) => {
        const evidence = await keepEvidence(tx, st, def, result.evidence, result.summary);
        await updateStep(tx, st.step.id, { status: 'succeeded', output: prepareOutput(result.output), error: null, finished: now });
        await appendTimeline(tx, [runEvent(st.run, now, 'step.succeeded', FIREBREAK_ACTOR,
          `Step ${def.id} of ${st.run.playbook} succeeded: ${redactSecrets(result.summary).text}`, { step: def.id, attempt, ...evidence })]);
        await advance(tx, st.run, now, FIREBREAK_ACTOR);
      });
      return undefined;
    }
    const message = redactSecrets(describeError(failure)).text;
    const retryable = !(failure instanceof FirebreakError) || failure.retryable;
    const capture = failure instanceof ActionFailure ? failure.evidence : undefined;
    const next = decideFailure(policyOf(def), attempt, retryable, random());
    log.warn({ err: message, next: next.kind }, 'step failed');
    metrics.steps.inc({ action: def.action, outcome: next.kind === 'retry' ? 'retried' : 'failed' });
    return db.transaction(async (tx) => {
      const evidence = await keepEvidence(tx, st, def, capture, message);
      if (next.kind === 'retry') {
        await updateStep(tx, st.step.id, { status: 'pending', error: message });
        await appendTimeline(tx, [runEvent(st.run, now, 'step.failed', FIREBREAK_ACTOR,
          `Step ${def.id} of ${st.run.playbook} failed (attempt ${attempt}), retrying: ${message}`, { step: def.id, attempt, retry: true, ...evidence })]);
        return { postponeMs: next.delayMs };
      }
      await failStep(tx, st, def, message, evidence, now);
      return undefined;
    });
  }

  async function keepEvidence(tx: Queryable, st: Loaded, def: Step, capture: Capture | undefined, summary: string) {
    if (!capture) return {};
    const prepared = prepareEvidence(capture, deps.evidenceMaxBytes);
    const id = await insertEvidence(tx, { ...prepared, incidentId: st.run.incidentId, stepRunId: st.step.id, kind: def.action });
    await enqueueJob(tx, evidenceJob(st.run.incidentId, id, `${def.id}: ${redactSecrets(summary).text}`));
    return { evidence: id, sha256: prepared.sha256, bytes: prepared.size, truncated: prepared.truncated };
  }

  /** The step has failed for good: record it, then go on or stop the run, per its on_failure. */
  async function failStep(tx: Queryable, st: Loaded, def: Step, reason: string, evidence: object | null, now: Date): Promise<void> {
    await updateStep(tx, st.step.id, { status: 'failed', error: reason, finished: now });
    await appendTimeline(tx, [runEvent(st.run, now, 'step.failed', FIREBREAK_ACTOR,
      `Step ${def.id} of ${st.run.playbook} failed: ${reason}`, { step: def.id, ...evidence })]);
    if (continueAfter(policyOf(def))) await advance(tx, st.run, now, FIREBREAK_ACTOR);
    else await stopRun(tx, st.run, 'failed', `step ${def.id} failed`, FIREBREAK_ACTOR, now);
  }
}
