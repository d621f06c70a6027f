import { LogLevel, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../lib/logger.js';

/** The Slack libraries' logger interface over pino, so their warnings land in firebreak's JSON logs. */
export function slackLogger(logger: Logger): SlackLogger {
  const log = logger.child({ component: 'slack' });
  const text = (parts: unknown[]) => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...parts) => log.debug(text(parts)),
    info: (...parts) => log.info(text(parts)),
    warn: (...parts) => log.warn(text(parts)),
    error: (...parts) => log.error(text(parts)),
    setLevel: (l) => { level = l; },
    getLevel: () => level,
    setName: () => {},
  };
}
