import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../lib/logger.js';

/** Where firebreak's Socket Mode connection to Slack stands. */
export type SocketState = 'connecting' | 'connected' | 'disconnected';

/** The events of @slack/socket-mode's client that firebreak follows. */
interface SocketClientEvents {
  on(event: 'connecting' | 'connected' | 'reconnecting' | 'close' | 'disconnected', listener: () => void): unknown;
}

/**
 * Follows a Socket Mode client: the gauge `firebreak_slack_socket_connected` (1 while the
 * connection is open, that is after Slack's `hello`; 0 otherwise) and the state /readyz reports.
 * The client reconnects by itself; a lost connection is logged once per loss.
 */
export function watchSocket(client: SocketClientEvents, registry: Registry, logger: Logger): () => SocketState {
  const gauge = new Gauge({
    name: 'firebreak_slack_socket_connected',
    help: 'Whether the Slack Socket Mode connection is open (1) or not (0): commands and clicks wait while it is 0.',
    registers: [registry],
  });
  let state: SocketState = 'connecting';
  const set = (next: SocketState) => {
    if (state === 'connected' && next !== 'connected') logger.warn({ next }, 'Slack Socket Mode connection lost: reconnecting');
    if (next === 'connected' && state !== 'connected') logger.info('Slack Socket Mode connected');
    state = next;
    gauge.set(next === 'connected' ? 1 : 0);
  };
  gauge.set(0);
  client.on('connecting', () => set('connecting'));
  client.on('reconnecting', () => set('connecting'));
  client.on('connected', () => set('connected'));
  // 'close' is the WebSocket closing (a drop, or Slack's refresh); 'disconnected' a stop that does not reconnect.
  client.on('close', () => set('disconnected'));
  client.on('disconnected', () => set('disconnected'));
  return () => state;
}
