import { pino, type Logger, type LevelWithSilent } from 'pino';
import { redactFields, redactSecrets } from './redact.js';

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
  'headers["set-cookie"]',
  '*.headers["set-cookie"]',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
  'headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'headers["api-key"]',
  '*.headers["api-key"]',
  'token',
  '*.token',
  'password',
  '*.password',
  'databaseUrl',
  '*.databaseUrl',
  'webhookToken',
  'apiToken',
  '*.apiToken',
  'apiKey',
  '*.apiKey',
  '*.webhookToken',
  'grafanaWebhookToken',
  '*.grafanaWebhookToken',
  'database.url',
  '*.database.url',
  'config.*Token',
  'config.*Secret',
  'config.*Key',
];

/**
 * Structured JSON logger with secrets redacted: by path (above), and by shape (redact.ts: tokens,
 * keys, JWTs…) in every string of a line, the message included. `destination` exists for tests.
 */
export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'firebreak' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }), log: (fields) => redactFields(fields) },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a: unknown) => (typeof a === 'string' ? redactSecrets(a).text : a)) as Parameters<typeof method>);
        },
      },
    },
    destination ?? process.stdout,
  );
}
