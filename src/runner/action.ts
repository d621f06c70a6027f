import { ErrorCode, FirebreakError } from '../lib/errors.js';

/**
 * The port between the runner and its actions (src/actions). The runner renders and approves the
 * parameters, applies the timeout and keeps the evidence; an action only does its one thing.
 */

/** What an action may know of where it runs. */
export interface ActionContext {
  /** Aborted when the step's timeout passes: stop and clean up. */
  signal: AbortSignal;
  incident: { id: number; number: number; ref: string; severity: string; title: string };
  /** The step being run: what an action that creates something outside keys it by (once per incident and step). */
  step?: { playbook: string; id: string };
}

/** What a step captured: the bytes kept as evidence, and a one-line summary for people. */
export interface Capture {
  mediaType: string;
  body: string;
}

/** A finished action: the output later steps may read, its evidence, and a summary. */
export interface ActionResult {
  output: unknown;
  evidence?: Capture;
  summary: string;
}

/** One action (http, exec, …). `params` have been rendered and checked against the action's schema. */
export interface Action {
  run(params: Record<string, unknown>, ctx: ActionContext): Promise<ActionResult>;
}

/** An action that failed; what it captured before failing (a non-zero exit's output) is still evidence. */
export class ActionFailure extends FirebreakError {
  readonly evidence: Capture | undefined;

  constructor(message: string, options: { retryable: boolean; evidence?: Capture; cause?: unknown }) {
    super(ErrorCode.StepFailed, message, { retryable: options.retryable, cause: options.cause });
    this.name = 'ActionFailure';
    this.evidence = options.evidence;
  }
}
