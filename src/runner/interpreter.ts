import type { Directory } from '../access/directory.js';
import type { Queryable } from '../db/db.js';
import { appendTimeline } from '../incidents/timeline.js';
import { FIREBREAK_ACTOR, incidentRef, OPEN_STATUSES, type IncidentStatus } from '../incidents/types.js';
import type { Clock } from '../lib/clock.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { describeError, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { redactSecrets } from '../lib/redact.js';
import type { ActionName } from '../playbooks/action-params.js';
import { MAX_STEP_TIMEOUT, type Step } from '../playbooks/schema.js';
import type { SecretReader } from '../playbooks/secrets.js';
import { ActionFailure, type Action, type ActionResult, type Capture } from './action.js';
import { resolveApproverSet, type ApproverContext } from './approver-set.js';
import { approverIds, describeApproverSet, type ApproverSet } from './approvers.js';
import { callAction } from './call-action.js';
import { continueAfter, decideFailure, decideStep } from './decide.js';
import { insertEvidence, prepareEvidence, prepareOutput } from './evidence.js';
import { approvalPostJob, attentionJob, evidenceJob } from './jobs.js';
import { advance, runEvent, stopRun } from './progress.js';
import type { Job, JobHandler, JobQueue } from '../queue/job.js';
import { insertApproval, readStep, updateStep } from './runs-sql.js';
import { approvalHash, policyOf, renderStep } from './step-context.js';

/** What the step handler is built from. */
export interface InterpreterDeps {
  queue: JobQueue;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  actions: Readonly<Record<ActionName, Action>>;
  evidenceMaxBytes: number;
  /** Reads @groups and who is on call for approver sets; undefined when Slack is off. */
  directory: Directory | undefined;
  /** Waits before reading unreadable approvers again (APPROVER_READ_DELAYS_MS unless given). */
  approverReadDelaysMs?: readonly number[];
  /** Reads a step's secrets (FIREBREAK_SECRET_…) when its action is called. */
  secrets: SecretReader;
  /** For retry jitter; injected so tests can fix it. */
  random?: () => number;
}

/** A step given no timeout may run this long. */
export const DEFAULT_STEP_TIMEOUT_MS = 5 * 60_000;
/** The longest any step may run (a playbook asking for more is refused at load): a step holds a slot of the steps pool. */
export const MAX_STEP_TIMEOUT_MS = parseDuration(MAX_STEP_TIMEOUT);

type Loaded = NonNullable<Awaited<ReturnType<typeof readStep>>>;
type Started = { st: Loaded; def: Step; params: Record<string, unknown>; attempt: number };
type NeedsApprovers = { approversFor: ApproverContext & { approvers: readonly string[] } };
type StepJob = Job<{ incidentId: number; stepRunId: number }>;

/**
 * The `playbook.step` job: decides (decide.ts), then does. Three phases: a transaction that claims
 * the step (status `running`), the action outside any transaction, a transaction that records the
 * outcome with its evidence and timeline and queues what comes next. A crash between the first and
 * the last leaves the step `running`: the next claim of its job sees it was interrupted. Both
 * transactions are fenced by the job's lease, and the outcome by the step's status and attempt: a
 * worker whose job was taken over writes nothing, and a person's Skip or Abort stands.
 */
export function createStepHandler(deps: InterpreterDeps): JobHandler<{ incidentId: number; stepRunId: number }> {
  const { queue, clock, metrics } = deps;
  const random = deps.random ?? Math.random;

  return async (job) => {
    let begun = await begin(job, undefined);
    if (begun && 'approversFor' in begun) {
      // Resolved between two transactions: Slack and PagerDuty are never called while a row is locked.
      const { approvers, ...ctx } = begun.approversFor;
      begun = await begin(job, await resolveApproverSet(approvers, ctx, deps.directory, deps.approverReadDelaysMs));
    }
    if (!begun || 'approversFor' in begun) return undefined; // (no second ask: the set was given)
    if ('postponeMs' in begun) return begun;
    return execute(begun, job);
  };

  /**
   * The first phase. A step about to ask for approval first needs its approver set: without one
   * (`approvers` undefined) this changes nothing and says whose people to resolve.
   */
  async function begin(job: StepJob, approvers: ApproverSet | undefined): Promise<Started | { postponeMs: number } | NeedsApprovers | null> {
    const { stepRunId } = job.payload;
    const now = clock.now();
    return job.transaction(async (tx): Promise<Started | { postponeMs: number } | NeedsApprovers | null> => {
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
          await advance(tx, queue, run, now, FIREBREAK_ACTOR);
          return null;
        case 'needs_attention':
          await updateStep(tx, step.id, { status: 'needs_attention', error: 'interrupted: firebreak stopped while this step ran, so whether it took effect is unknown' });
          await appendTimeline(tx, [runEvent(run, now, 'step.needs_attention', FIREBREAK_ACTOR,
            `Step ${def.id} of ${run.playbook} was interrupted and is not safe to repeat: it waits for someone to retry, skip or abort`, { step: def.id })]);
          await queue.enqueue(tx, attentionJob(run.incidentId, step.id));
          metrics.steps.inc({ action: def.action, outcome: 'needs_attention' });
          return null;
        case 'refuse':
          metrics.steps.inc({ action: def.action, outcome: 'refused' });
          await failStep(tx, st, def, decision.reason, null, now);
          return null;
        case 'request_approval': {
          const a = def.approval!;
          if (!approvers) return { approversFor: { approvers: a.approvers, incidentId: run.incidentId, commander: incident.commander, now } };
          const rendered = await renderStep(tx, run, step, def, incident);
          if (!rendered.ok) {
            await failStep(tx, st, def, rendered.reason, null, now);
            return null;
          }
          const hash = approvalHash(step.action, rendered.params);
          const id = await insertApproval(tx, {
            stepRunId: step.id, incidentId: run.incidentId, policy: a, approvers, requestedBy: run.requestedBy, paramsHash: hash,
            requestedAt: now, expiresAt: new Date(now.getTime() + parseDuration(a.timeout)),
          });
          await updateStep(tx, step.id, { status: 'waiting_approval', params: rendered.params, paramsHash: hash });
          await appendTimeline(tx, [runEvent(run, now, 'approval.requested', FIREBREAK_ACTOR,
            `Step ${def.id} of ${run.playbook} (${def.action}) waits for approval by ${describeApproverSet(approvers)} (expires in ${a.timeout})`,
            {
              step: def.id, approval: id, paramsHash: hash, approvers: approverIds(approvers),
              unreadable: approvers.sources.filter((s) => s.unreadable).map((s) => s.approver),
            })]);
          await queue.enqueue(tx, approvalPostJob(run.incidentId, id));
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
  }

  async function execute({ st, def, params, attempt }: Started, job: StepJob): Promise<void | { postponeMs: number }> {
    const { incident } = st;
    const log = deps.logger.child({ incident: incidentRef(incident.number), playbook: st.run.playbook, step: def.id, attempt });
    const timeoutMs = Math.min(def.timeout ? parseDuration(def.timeout) : DEFAULT_STEP_TIMEOUT_MS, MAX_STEP_TIMEOUT_MS);
    // The job's signal aborts when its lease is lost or firebreak stops: the action stops too (and
    // does not start, should that have happened since the step was claimed).
    job.signal.throwIfAborted();
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, job.signal]);
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
      const stopped = new Promise<never>((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason), { once: true }));
      stopped.catch(() => {}); // the race below reads it, unless the action ends first
      const ctx = {
        signal,
        incident: { id: incident.id, number: incident.number, ref: incidentRef(incident.number), severity: incident.severity, title: incident.title },
        step: { playbook: st.run.playbook, id: def.id },
      };
      result = await Promise.race([callAction(deps.actions[def.action as ActionName], def, params, ctx, deps.secrets), timedOut, stopped]);
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(timer);
    }
    // Stopped from outside (lease lost, shutdown): this attempt records nothing. The step stays
    // running, and the job's next claim finds it interrupted.
    if (job.signal.aborted) throw job.signal.reason;
    const now = clock.now();
    const still = { status: 'running' as const, attempts: attempt };
    if (result) {
      log.info({ summary: result.summary }, 'step succeeded');
      metrics.steps.inc({ action: def.action, outcome: 'succeeded' });
      await job.transaction(async (tx) => {
        const evidence = await keepEvidence(tx, st, def, result.evidence, result.summary);
        await updateStep(tx, st.step.id, { status: 'succeeded', output: prepareOutput(result.output), error: null, finished: now }, still);
        await appendTimeline(tx, [runEvent(st.run, now, 'step.succeeded', FIREBREAK_ACTOR,
          `Step ${def.id} of ${st.run.playbook} succeeded: ${redactSecrets(result.summary).text}`, { step: def.id, attempt, ...evidence })]);
        await advance(tx, queue, st.run, now, FIREBREAK_ACTOR);
      });
      return undefined;
    }
    const message = redactSecrets(describeError(failure)).text;
    const retryable = !(failure instanceof FirebreakError) || failure.retryable;
    const capture = failure instanceof ActionFailure ? failure.evidence : undefined;
    const next = decideFailure(policyOf(def), attempt, retryable, random());
    log.warn({ err: message, next: next.kind }, 'step failed');
    metrics.steps.inc({ action: def.action, outcome: next.kind === 'retry' ? 'retried' : 'failed' });
    return job.transaction(async (tx) => {
      const evidence = await keepEvidence(tx, st, def, capture, message);
      if (next.kind === 'retry') {
        await updateStep(tx, st.step.id, { status: 'pending', error: message }, still);
        await appendTimeline(tx, [runEvent(st.run, now, 'step.failed', FIREBREAK_ACTOR,
          `Step ${def.id} of ${st.run.playbook} failed (attempt ${attempt}), retrying: ${message}`, { step: def.id, attempt, retry: true, ...evidence })]);
        return { postponeMs: next.delayMs };
      }
      await failStep(tx, st, def, message, evidence, now, still);
      return undefined;
    });
  }

  async function keepEvidence(tx: Queryable, st: Loaded, def: Step, capture: Capture | undefined, summary: string) {
    if (!capture) return {};
    const prepared = prepareEvidence(capture, deps.evidenceMaxBytes);
    const id = await insertEvidence(tx, { ...prepared, incidentId: st.run.incidentId, stepRunId: st.step.id, kind: def.action });
    await queue.enqueue(tx, evidenceJob(st.run.incidentId, id, `${def.id}: ${redactSecrets(summary).text}`));
    return { evidence: id, sha256: prepared.sha256, bytes: prepared.size, truncated: prepared.truncated };
  }

  /** The step has failed for good: record it, then go on or stop the run, per its on_failure. */
  async function failStep(
    tx: Queryable, st: Loaded, def: Step, reason: string, evidence: object | null, now: Date, expect?: { status: 'running'; attempts: number },
  ): Promise<void> {
    await updateStep(tx, st.step.id, { status: 'failed', error: reason, finished: now }, expect);
    await appendTimeline(tx, [runEvent(st.run, now, 'step.failed', FIREBREAK_ACTOR,
      `Step ${def.id} of ${st.run.playbook} failed: ${reason}`, { step: def.id, ...evidence })]);
    if (continueAfter(policyOf(def))) await advance(tx, queue, st.run, now, FIREBREAK_ACTOR);
    else await stopRun(tx, queue, st.run, 'failed', `step ${def.id} failed`, FIREBREAK_ACTOR, now);
  }
}
