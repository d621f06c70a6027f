import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeSlack } from './fake-slack.js';

/** An envelope as Slack sends it over the socket. */
export interface Envelope {
  envelope_id: string;
  type: 'slash_commands' | 'interactive' | 'events_api';
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

/** One envelope the fake sent: how often, and the acknowledgements it got (the payload the app answered with). */
export interface Sent {
  envelope: Envelope;
  deliveries: number;
  acks: Record<string, unknown>[];
  /** Resolves with the first acknowledgement's payload. */
  acked: Promise<Record<string, unknown>>;
}

/**
 * A local stand-in for Slack's Socket Mode that the real @slack/socket-mode client (inside Bolt)
 * connects to. `apps.connections.open` (answered by the FakeSlack Web API, app-level tokens only)
 * hands out a one-use `ws://127.0.0.1` URL; on connecting, the app gets `hello`, then every envelope
 * not yet acknowledged. Envelopes are acknowledged by `envelope_id` with an optional payload (a slash
 * command's answer, a view submission's `response_action`). What is sent while no connection is
 * open, or was sent on a connection that dropped before its acknowledgement, is delivered again on
 * the next connection with `retry_attempt` counted up, as Slack does.
 */
export class FakeSocketMode {
  /** Every envelope sent, in order. */
  readonly sent: Sent[] = [];
  /** Connections opened (each after a ticket from apps.connections.open). */
  connections = 0;
  /** Tickets handed out by apps.connections.open. */
  opened = 0;
  private readonly tickets = new Set<string>();
  private readonly waiting = new Map<string, { sent: Sent; resolve: (payload: Record<string, unknown>) => void }>();
  private socket: WebSocket | undefined;
  private ready = false;
  private http!: Server;
  private wss!: WebSocketServer;
  private port = 0;

  static async start(slack: FakeSlack, appToken: string): Promise<FakeSocketMode> {
    const fake = new FakeSocketMode();
    fake.http = createServer((_req, res) => res.writeHead(426).end());
    fake.wss = new WebSocketServer({ noServer: true });
    fake.http.on('upgrade', (req, socket, head) => {
      const ticket = new URL(req.url ?? '/', 'ws://x').searchParams.get('ticket') ?? '';
      if (!fake.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      fake.wss.handleUpgrade(req, socket, head, (ws) => fake.connected(ws));
    });
    await new Promise<void>((resolve) => fake.http.listen(0, '127.0.0.1', resolve));
    fake.port = (fake.http.address() as AddressInfo).port;
    slack.extraMethods.set('apps.connections.open', (_args, token) => {
      // Slack wants the app-level token here; a bot token is refused.
      if (token !== appToken) return { ok: false, error: token.startsWith('xapp-') ? 'invalid_auth' : 'not_allowed_token_type' };
      const ticket = randomUUID();
      fake.tickets.add(ticket);
      fake.opened++;
      return { ok: true, url: `ws://127.0.0.1:${fake.port}/link/?ticket=${ticket}&app_id=${slack.identity.appId}` };
    });
    return fake;
  }

  /** Whether a connection is open and greeted. */
  get isConnected(): boolean {
    return this.ready;
  }

  /** Sends an envelope (now, or on the next connection); its acknowledgement arrives in `acked`. */
  send(type: Envelope['type'], payload: Record<string, unknown>): Sent {
    const envelope: Envelope = { envelope_id: randomUUID(), type, payload, accepts_response_payload: type !== 'events_api' };
    if (type === 'events_api') Object.assign(envelope, { retry_attempt: 0, retry_reason: '' });
    let resolve!: (p: Record<string, unknown>) => void;
    const sent: Sent = { envelope, deliveries: 0, acks: [], acked: new Promise((r) => { resolve = r; }) };
    this.sent.push(sent);
    this.waiting.set(envelope.envelope_id, { sent, resolve });
    if (this.ready) this.deliver(sent);
    return sent;
  }

  /** Sends an envelope again, the same envelope id and payload, as a retry (whether or not it was acknowledged). */
  redeliver(sent: Sent): void {
    if (!this.waiting.has(sent.envelope.envelope_id)) {
      this.waiting.set(sent.envelope.envelope_id, { sent, resolve: () => {} });
    }
    if (this.ready) this.deliver(sent);
  }

  /** The connection drops without a close handshake (a network failure). */
  drop(): void {
    this.ready = false;
    this.socket?.terminate();
    this.socket = undefined;
  }

  /** Slack asks the app to reconnect (it does so about hourly, and before maintenance). */
  refresh(): void {
    this.socket?.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'applink-fake' } }));
  }

  /** Waits until a greeted connection is open (the `connections`-th one, if given). */
  async waitConnected(connections = 1, timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!(this.ready && this.connections >= connections)) {
      if (Date.now() > until) throw new Error(`timed out waiting for Socket Mode connection ${connections} (${this.connections} so far)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.drop();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private connected(ws: WebSocket): void {
    this.socket?.terminate();
    this.socket = ws;
    this.connections++;
    ws.on('message', (data) => this.received(String(data)));
    ws.on('close', () => {
      if (this.socket === ws) {
        this.socket = undefined;
        this.ready = false;
      }
    });
    ws.send(JSON.stringify({
      type: 'hello', num_connections: 1,
      debug_info: { host: 'applink-fake', build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: 'A0APP0001' },
    }));
    this.ready = true;
    for (const { sent } of this.waiting.values()) this.deliver(sent);
  }

  private deliver(sent: Sent): void {
    const retry = sent.deliveries > 0;
    sent.deliveries++;
    const envelope = retry ? { ...sent.envelope, retry_attempt: sent.deliveries - 1, retry_reason: 'timeout' } : sent.envelope;
    this.socket!.send(JSON.stringify(envelope));
  }

  private received(text: string): void {
    const message = JSON.parse(text) as { envelope_id?: string; payload?: Record<string, unknown> };
    if (!message.envelope_id) return;
    const waiting = this.waiting.get(message.envelope_id);
    const sent = waiting?.sent ?? this.sent.find((s) => s.envelope.envelope_id === message.envelope_id);
    if (!sent) return;
    sent.acks.push(message.payload ?? {});
    this.waiting.delete(message.envelope_id);
    waiting?.resolve(message.payload ?? {});
  }
}
