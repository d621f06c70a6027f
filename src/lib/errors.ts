/** Every error firebreak raises on purpose carries one of these codes. */
export enum ErrorCode {
  ConfigInvalid = 'CONFIG_INVALID',
  DatabaseUnavailable = 'DATABASE_UNAVAILABLE',
  DatabaseQueryFailed = 'DATABASE_QUERY_FAILED',
  MigrationFailed = 'MIGRATION_FAILED',
  WebhookUnauthorized = 'WEBHOOK_UNAUTHORIZED',
  WebhookTooLarge = 'WEBHOOK_TOO_LARGE',
  WebhookUnsupportedMediaType = 'WEBHOOK_UNSUPPORTED_MEDIA_TYPE',
  WebhookMalformedJson = 'WEBHOOK_MALFORMED_JSON',
  WebhookInvalidPayload = 'WEBHOOK_INVALID_PAYLOAD',
  Internal = 'INTERNAL',
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

/** Wraps anything thrown into a FirebreakError, keeping the original as `cause`. */
export function toFirebreakError(err: unknown, fallback: ErrorCode = ErrorCode.Internal): FirebreakError {
  if (err instanceof FirebreakError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new FirebreakError(fallback, message, { cause: err });
}

/** "outer message: inner message: …" along the `cause` chain, for one-line logs and exits. */
export function describeError(err: unknown, separator = ': '): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) {
    if (parts.at(-1) !== e.message) parts.push(e.message);
  }
  return parts.join(separator) || String(err);
}
