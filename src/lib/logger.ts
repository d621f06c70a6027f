import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Paths pino blanks before a line is written. Anything that can hold a credential is listed here so
 * that a careless `log.info({ config })` or `log.info({ headers })` still prints no secret.
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.cookie',
  '*.headers.cookie',
  'token',
  '*.token',
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'webhookToken',
  '*.webhookToken',
  'database.url',
  '*.database.url',
  'config.*Token',
  'config.*Secret',
  'config.*Key',
];

/** Structured JSON logger with secrets redacted. `destination` exists for tests. */
export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'firebreak' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? process.stdout,
  );
}
