import type { ServerResponse } from 'node:http';
import type { Db } from '../db/db.js';
import { describeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { eventsBetween, lastEventId, type EventRow } from './incidents-sql.js';

/** The NOTIFY channel of timeline appends (migration 0014): `first:last` ids of one statement. */
export const TIMELINE_CHANNEL = 'firebreak_timeline';

const BATCH = 1_000;
const KEEPALIVE_MS = 15_000;

interface Subscriber {
  res: ServerResponse;
  /** Only this incident's events; undefined: every incident's. */
  incidentId: number | undefined;
}

/**
 * Server-sent events of timeline appends. One LISTEN per process fans out to every open stream;
 * the NOTIFY comes from whichever replica wrote, at commit. A lost connection is followed by a
 * catch-up from the last id seen; a client reconnecting with Last-Event-ID gets what it missed.
 */
export function createEventHub(db: Db, logger: Logger) {
  const subscribers = new Set<Subscriber>();
  let lastSeen = 0;
  let stopListening: (() => Promise<void>) | undefined;
  let starting: Promise<void> | undefined;
  let keepalive: NodeJS.Timeout | undefined;
  // Notifications are handled one after another, so that events go out in order.
  let chain = Promise.resolve();

  const send = (s: Subscriber, e: EventRow) => {
    if (s.incidentId !== undefined && s.incidentId !== e.incidentId) return;
    s.res.write(`id: ${e.id}\nevent: timeline\ndata: ${JSON.stringify(e)}\n\n`);
  };

  async function deliver(payload: string) {
    let [first, last] = payload.split(':').map(Number) as [number, number];
    const known = Boolean(payload) && Number.isSafeInteger(first) && Number.isSafeInteger(last);
    // Nobody listens: only where the stream stands moves on, so that a stream resumed later catches up to here.
    if (!subscribers.size) return void (lastSeen = known ? Math.max(lastSeen, last) : await lastEventId(db));
    if (!known) [first, last] = [lastSeen + 1, Number.MAX_SAFE_INTEGER];
    for (;;) {
      const rows = await eventsBetween(db, first, last, BATCH);
      for (const e of rows) for (const s of subscribers) send(s, e);
      if (rows.length) lastSeen = Math.max(lastSeen, rows.at(-1)!.id);
      if (rows.length < BATCH) return;
      first = rows.at(-1)!.id + 1;
    }
  }

  async function start() {
    lastSeen = await lastEventId(db);
    stopListening = await db.listen(TIMELINE_CHANNEL, (payload) => {
      chain = chain.then(() => deliver(payload)).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'could not send timeline events'));
    });
    keepalive = setInterval(() => { for (const s of subscribers) s.res.write(': keepalive\n\n'); }, KEEPALIVE_MS);
    keepalive.unref();
  }

  return {
    /** Opens a stream on `res`; `after`: the Last-Event-ID the client had, whose successors it is sent first. */
    async subscribe(res: ServerResponse, o: { incidentId?: number; after?: number }): Promise<void> {
      starting ??= start();
      await starting;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      const s: Subscriber = { res, incidentId: o.incidentId };
      // Joined inside the chain, after the delivery in progress and the catch-up: an event is sent
      // once, in order, whatever arrives while the stream opens.
      chain = chain.then(async () => {
        if (o.after !== undefined) {
          for (let first = o.after + 1; first <= lastSeen;) {
            const rows = await eventsBetween(db, first, lastSeen, BATCH);
            for (const e of rows) send(s, e);
            if (rows.length < BATCH) break;
            first = rows.at(-1)!.id + 1;
          }
        }
        if (!res.destroyed) subscribers.add(s);
      }).catch((err: unknown) => logger.warn({ err: describeError(err) }, 'could not send missed timeline events'));
      res.on('close', () => subscribers.delete(s));
    },
    /** Ends every stream and stops listening. */
    async close(): Promise<void> {
      clearInterval(keepalive);
      for (const s of subscribers) s.res.end();
      subscribers.clear();
      await starting?.catch(() => undefined);
      await stopListening?.();
    },
  };
}

export type EventHub = ReturnType<typeof createEventHub>;
