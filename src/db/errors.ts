import { ErrorCode, FirebreakError } from '../lib/errors.js';

// Node socket errors and SQLSTATEs that mean "the database is not there right now": worth retrying
// later, and the caller should answer 503 rather than 500 or 4xx.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300', // too_many_connections
  '40001', // serialization_failure: safe to retry the whole request
  '40P01', // deadlock_detected: ditto
]);
const UNAVAILABLE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Connection terminated unexpectedly/i,
  /Client has encountered a connection error/i,
  /PGlite is closed/i,
  /Cannot use a pool after calling end/i,
];

/** True when `err` says the database cannot be reached (as opposed to a bad statement). */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08'))) {
    return true;
  }
  return UNAVAILABLE_MESSAGES.some((re) => re.test(err.message));
}

/** Wraps a driver error in a coded FirebreakError, keeping it as `cause`. */
export function wrapDatabaseError(err: unknown): FirebreakError {
  if (err instanceof FirebreakError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return isDatabaseUnavailable(err)
    ? new FirebreakError(ErrorCode.DatabaseUnavailable, `database unavailable: ${message}`, { retryable: true, cause: err })
    : new FirebreakError(ErrorCode.DatabaseQueryFailed, message, { cause: err });
}

/** The SQLSTATE of a database error, looking through FirebreakError causes. */
export function sqlStateOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** A data exception (SQLSTATE class 22): the values themselves are refused, retrying cannot help. */
export const isDataException = (err: unknown): boolean => sqlStateOf(err)?.startsWith('22') ?? false;

/** A unique violation (SQLSTATE 23505): a concurrent transaction wrote the row this one wanted to insert. */
export const isUniqueViolation = (err: unknown): boolean => sqlStateOf(err) === '23505';
