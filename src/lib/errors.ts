/** Every error firebreak raises on purpose carries one of these codes. */
export enum ErrorCode {
  ConfigInvalid = 'CONFIG_INVALID',
  DatabaseUnavailable = 'DATABASE_UNAVAILABLE',
  DatabaseQueryFailed = 'DATABASE_QUERY_FAILED',
  MigrationFailed = 'MIGRATION_FAILED',
  SlackUnavailable = 'SLACK_UNAVAILABLE',
  SlackRateLimited = 'SLACK_RATE_LIMITED',
  SlackRefused = 'SLACK_REFUSED',
  StepFailed = 'STEP_FAILED',
  PagerDutyUnavailable = 'PAGERDUTY_UNAVAILABLE',
  /** A job refused at enqueue: its payload does not match its type's schema, or nothing here handles it. */
  JobInvalid = 'JOB_INVALID',
  /** A job attempt's lease was taken over (or lost): what it would write is not written. */
  JobLeaseLost = 'JOB_LEASE_LOST',
}

/** A coded error: `retryable` says whether doing the same thing later may succeed. */
export class FirebreakError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** When the other side said how long to wait (a Retry-After header), in milliseconds. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FirebreakError';
    this.code = code;
    this.retryable = options.retryable ?? options.retryAfterMs !== undefined;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** "outer message: inner message: …" along the `cause` chain, for one-line logs and exits. */
export function describeError(err: unknown, separator = ': '): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) {
    if (parts.at(-1) !== e.message) parts.push(e.message);
  }
  return parts.join(separator) || String(err);
}
