import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/lib/logger.js';

/** A real pino logger whose JSON lines are kept for assertions. */
export function captureLogs(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('debug', sink);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () => text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
