/** Every error firebreak raises on purpose carries one of these codes. */
export enum ErrorCode {
  ConfigInvalid = 'CONFIG_INVALID',
  DatabaseUnavailable = 'DATABASE_UNAVAILABLE',
  DatabaseQueryFailed = 'DATABASE_QUERY_FAILED',
  MigrationFailed = 'MIGRATION_FAILED',
}

/** A coded error: `retryable` says whether doing the same thing later may succeed. */
export class FirebreakError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FirebreakError';
    this.code = code;
    this.retryable = options.retryable ?? false;
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
