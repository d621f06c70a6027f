import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of Postgres that a test can cut: a real network outage between firebreak and
 * its database, with no change to firebreak's code. It can also hold back the server's answers, to
 * see what a client sends before it has heard anything.
 */
/** How a hold on the server's answers ended. */
export type HoldEnd = 'released by the client' | 'timed out';

export interface TcpProxy {
  port: number;
  /** down: every open connection is reset and new ones are refused until `up()`. */
  down(): void;
  up(): void;
  /**
   * Holds back every answer from the server until the bytes clients send from now on satisfy
   * `until` (then resolves 'released by the client'), or until `timeoutMs` (then 'timed out').
   * Either way the held answers are then delivered.
   */
  holdAnswers(until: (sent: Buffer) => boolean, timeoutMs: number): Promise<HoldEnd>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let isDown = false;
  const sockets = new Set<Socket>();
  let hold: { held: [Socket, Buffer][]; sent: Buffer[]; release: (why: HoldEnd) => void; until: (sent: Buffer) => boolean } | undefined;
  const server: Server = createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (hold) {
        hold.sent.push(chunk);
        if (hold.until(Buffer.concat(hold.sent))) hold.release('released by the client');
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (hold) hold.held.push([client, chunk]);
      else client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const down = () => {
    isDown = true;
    for (const s of sockets) s.destroy();
  };
  return {
    port: (server.address() as AddressInfo).port,
    down,
    up() {
      isDown = false;
    },
    holdAnswers(until, timeoutMs) {
      return new Promise((resolve) => {
        const timer = setTimeout(() => release('timed out'), timeoutMs);
        const release = (why: HoldEnd) => {
          clearTimeout(timer);
          const held = hold?.held ?? [];
          hold = undefined;
          for (const [socket, chunk] of held) socket.write(chunk);
          resolve(why);
        };
        hold = { held: [], sent: [], release, until };
      });
    },
    async close() {
      down();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
