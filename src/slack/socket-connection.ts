import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';

/** The Socket Mode client as the reconnection loop drives it. */
interface SocketClient {
  on(event: 'disconnected', listener: () => void): unknown;
}

/** How soon to connect again: `firstDelayMs`, twice that after a second failure in a row, … up to `maxDelayMs`. */
export interface ReconnectPace {
  firstDelayMs: number;
  maxDelayMs: number;
}

/**
 * Keeps firebreak's Socket Mode connection up. @slack/socket-mode reconnects by itself, but a
 * reconnection whose apps.connections.open is refused (a revoked app token, or Slack failing past
 * its client's retries) rejects a promise nobody awaits, and Node stops the process on an unhandled
 * rejection: webhooks and all. So the client's own reconnection is off and this loop connects
 * (`connect`: Bolt's start), and again after every disconnection or failure, with a growing wait,
 * logging each failure, never giving up.
 */
export function keepConnected(client: SocketClient, connect: () => Promise<unknown>, logger: Logger, pace: ReconnectPace) {
  let stopping = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (stopping || timer) return;
    failures++;
    const delayMs = Math.min(pace.maxDelayMs, pace.firstDelayMs * 2 ** (failures - 1));
    timer = setTimeout(() => {
      timer = undefined;
      attempt();
    }, delayMs);
  };
  const attempt = () => {
    connect().then(() => { failures = 0; }, (err: unknown) => {
      if (stopping) return;
      logger.error({ err: describeError(err), failures: failures + 1 }, 'Slack Socket Mode could not connect: trying again');
      schedule();
    });
  };
  // A closed connection (dropped, or Slack's refresh_requested) without a reconnection of the client's own.
  client.on('disconnected', schedule);
  return {
    start: attempt,
    stop() {
      stopping = true;
      clearTimeout(timer);
    },
  };
}
