import { backoffMs } from '../queue/backoff.js';

/**
 * The step interpreter's decisions: pure, no I/O, table-tested. The runner reads the state, asks
 * here what to do, and does it: the runner decides, actions act (docs/architecture.md).
 *
 * Glossary
 * - Run: one execution of a playbook for an incident. Its steps run one after another.
 * - Step run: one step of a run; `attempts` counts its starts.
 * - Interrupted: a step found `running` when its job is claimed again: the process running it died
 *   (its lease ran out). Whether it finished its side effect is unknown.
 * - Needs attention: an interrupted step that is not safe to repeat, waiting for a person to choose
 *   Retry, Skip or Abort.
 */

export const STEP_STATUSES = [
  'pending', 'waiting_approval', 'running', 'succeeded', 'failed', 'skipped',
  'needs_attention', 'denied', 'expired', 'aborted', 'cancelled',
] as const;
/** Where a step run is. */
export type StepStatus = (typeof STEP_STATUSES)[number];

/** Statuses after which a step never runs again. */
export const FINISHED_STEP: ReadonlySet<StepStatus> = new Set(['succeeded', 'failed', 'skipped', 'denied', 'expired', 'aborted', 'cancelled']);

/** A run's status. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'aborted' | 'cancelled';

/** The options of a step that decisions depend on. */
export interface StepPolicy {
  gated: boolean;
  idempotent: boolean;
  runWhenResolved: boolean;
  onFailure: 'abort' | 'continue';
  /** Attempts in all (1 without retry). */
  attempts: number;
  backoffMs: number;
}

/** What the interpreter knows when a step's job runs. */
export interface StepSituation {
  status: StepStatus;
  /** Starts so far. */
  attempts: number;
  incidentOpen: boolean;
  /** The step's approval, if one was requested. */
  approval: { status: 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled'; hashMatches: boolean } | null;
}

/** What to do with a step now. */
export type StepDecision =
  | { kind: 'nothing' }
  | { kind: 'cancel' }
  | { kind: 'request_approval' }
  | { kind: 'run' }
  | { kind: 'needs_attention' }
  | { kind: 'refuse'; reason: string };

/** Extra starts an idempotent step gets after interruptions, beyond its retry attempts. */
export const INTERRUPTED_RERUNS = 2;

export function decideStep(policy: StepPolicy, s: StepSituation): StepDecision {
  if (FINISHED_STEP.has(s.status) || s.status === 'needs_attention' || s.status === 'waiting_approval') return { kind: 'nothing' };
  if (!s.incidentOpen && !policy.runWhenResolved) return { kind: 'cancel' };
  if (s.status === 'running') {
    // A step that keeps killing its process (say, out of memory) is not restarted for ever.
    return policy.idempotent && s.attempts < policy.attempts + INTERRUPTED_RERUNS ? { kind: 'run' } : { kind: 'needs_attention' };
  }
  // pending
  if (!policy.gated) return { kind: 'run' };
  if (!s.approval) return { kind: 'request_approval' };
  if (s.approval.status !== 'approved') return { kind: 'nothing' };
  if (!s.approval.hashMatches) {
    return { kind: 'refuse', reason: 'the step\'s parameters are not the ones that were approved, so it was not run' };
  }
  return { kind: 'run' };
}

/**
 * After a failed attempt: try again after a delay, or give up. `random` in [0, 1). The delay is the
 * queue's backoff from the step's own, uncapped: the playbook says how long to wait.
 */
export function decideFailure(policy: StepPolicy, attempts: number, retryable: boolean, random: number):
  { kind: 'retry'; delayMs: number } | { kind: 'fail' } {
  if (!retryable || attempts >= policy.attempts) return { kind: 'fail' };
  return { kind: 'retry', delayMs: backoffMs(attempts, () => random, policy.backoffMs, Infinity) };
}

/** After a step failed or was denied: go on with the next step, or stop the run. */
export const continueAfter = (policy: StepPolicy): boolean => policy.onFailure === 'continue';

/** A finished run's status from its steps': any failure shows, even when the run went on. */
export function finalRunStatus(statuses: readonly StepStatus[]): RunStatus {
  if (statuses.some((s) => s === 'aborted')) return 'aborted';
  if (statuses.some((s) => s === 'cancelled')) return 'cancelled';
  if (statuses.some((s) => s === 'failed' || s === 'denied' || s === 'expired')) return 'failed';
  return 'succeeded';
}
