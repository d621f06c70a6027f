import type { Db, Queryable } from '../db/db.js';
import type { JobQueue } from '../queue/job.js';
import type { RequestContext } from './commands.js';
import { setIncidentStatus } from './incidents-sql.js';
import { cardJob, openingJobs } from './jobs.js';
import { decideStatusAction } from './lifecycle.js';
import { insertDeclaredIncident, insertLinks, readChildren, readLinkCandidates, type LinkCandidate } from './links-sql.js';
import { oncePerRequest } from './requests.js';
import { appendTimeline } from './timeline.js';
import { incidentRef, type Severity, type TimelineEntry } from './types.js';

/**
 * A parent incident covers others (an outage and the incidents it caused): one level, an incident
 * has at most one parent and a parent is no one's child. Linking writes an `incident.linked` event
 * on the parent (naming the children) and on each child (naming the parent).
 */

/** How a link request went. */
export type LinkOutcome =
  | { outcome: 'linked'; parent: number; linked: number[]; already: number[] }
  | { outcome: 'refused'; reason: string };

const refs = (numbers: readonly number[]) => numbers.map(incidentRef).join(', ');

/** Why `children` cannot be linked to `parent` (pure), or undefined when they can. */
export function linkRefusal(parentNumber: number, childNumbers: readonly number[], found: readonly LinkCandidate[]): string | undefined {
  const byNumber = new Map(found.map((c) => [c.number, c]));
  const missing = [parentNumber, ...childNumbers].filter((n) => !byNumber.has(n));
  if (missing.length) return `there is no incident ${refs(missing)}`;
  if (childNumbers.includes(parentNumber)) return `${incidentRef(parentNumber)} cannot be its own child`;
  const parent = byNumber.get(parentNumber)!;
  if (parent.parentNumber !== null) return `${incidentRef(parentNumber)} is part of ${incidentRef(parent.parentNumber)}: link to ${incidentRef(parent.parentNumber)} instead`;
  for (const n of childNumbers) {
    const c = byNumber.get(n)!;
    if (c.parentNumber !== null && c.parentNumber !== parentNumber) return `${incidentRef(n)} is already part of ${incidentRef(c.parentNumber)}`;
    if (c.children > 0) return `${incidentRef(n)} is itself a parent incident (of ${c.children}): parents are not nested`;
  }
  return undefined;
}

async function link(
  tx: Queryable, queue: JobQueue, parentNumber: number, childNumbers: readonly number[], ctx: RequestContext, o: { skipUnlinkable?: boolean } = {},
): Promise<LinkOutcome> {
  let unique = [...new Set(childNumbers)];
  const found = await readLinkCandidates(tx, [parentNumber, ...unique]);
  // An outage declared: its incidents already part of another parent, or parents themselves, stay where they are.
  if (o.skipUnlinkable) unique = unique.filter((n) => found.some((c) => c.number === n && c.parentNumber === null && c.children === 0));
  const reason = linkRefusal(parentNumber, unique, found);
  if (reason) return { outcome: 'refused', reason };
  const parent = found.find((c) => c.number === parentNumber)!;
  const children = found.filter((c) => unique.includes(c.number));
  const already = children.filter((c) => c.parentNumber === parentNumber);
  const fresh = children.filter((c) => c.parentNumber === null);
  if (fresh.length) {
    await insertLinks(tx, parent.id, fresh.map((c) => c.id), ctx.actor, ctx.at);
    const event = (incidentId: number, summary: string, data: Record<string, unknown>): TimelineEntry =>
      ({ incidentId, at: ctx.at, kind: 'incident.linked', actor: ctx.actor, summary, data });
    await appendTimeline(tx, [
      event(parent.id, `${refs(fresh.map((c) => c.number))} linked to ${incidentRef(parentNumber)} by ${ctx.actor}`,
        { children: fresh.map((c) => ({ number: c.number, title: c.title, severity: c.severity, status: c.status })) }),
      ...fresh.map((c) => event(c.id, `${incidentRef(c.number)} is part of ${incidentRef(parentNumber)} (linked by ${ctx.actor})`, { parent: parentNumber })),
    ]);
    await queue.enqueue(tx, cardJob(parent.id), ...fresh.map((c) => cardJob(c.id)));
  }
  return { outcome: 'linked', parent: parentNumber, linked: fresh.map((c) => c.number), already: already.map((c) => c.number) };
}

/** `/incident link INC-p INC-a INC-b…`: links the incidents to INC-p, once per request. */
export async function linkIncidents(db: Db, queue: JobQueue, parentNumber: number, childNumbers: readonly number[], ctx: RequestContext): Promise<LinkOutcome> {
  return (await oncePerRequest(db, ctx.requestKey, (tx) => link(tx, queue, parentNumber, childNumbers, ctx))).value;
}

/**
 * Declares a parent incident that links `childNumbers`, in one transaction; `also` runs in it with
 * the new incident (the digest notes its parent). Once per request.
 */
export async function declareParent(
  db: Db, queue: JobQueue, d: { title: string; severity: Severity }, childNumbers: readonly number[], ctx: RequestContext,
  also: (tx: Queryable, parent: { id: number; number: number }) => Promise<void>,
): Promise<{ number: number; outcome: LinkOutcome } | { number: null }> {
  return (await oncePerRequest(db, ctx.requestKey, async (tx): Promise<{ number: number; outcome: LinkOutcome } | { number: null }> => {
    const created = await insertDeclaredIncident(tx, d.title, d.severity, ctx.actor, ctx.at);
    await appendTimeline(tx, [{
      incidentId: created.id, at: ctx.at, kind: 'incident.opened', actor: ctx.actor,
      summary: `${incidentRef(created.number)} declared by ${ctx.actor}: ${d.title} (${d.severity})`,
      data: { declared: true, title: d.title, severity: d.severity, parent: true },
    }]);
    await queue.enqueue(tx, ...openingJobs(created.id));
    const outcome = await link(tx, queue, created.number, childNumbers, ctx, { skipUnlinkable: true });
    await also(tx, created);
    return { number: created.number, outcome };
  })).value;
}

/** Resolves the open incidents linked to `parentId` (offered once the parent is resolved). Their numbers. */
export async function resolveChildren(db: Db, queue: JobQueue, parentId: number, ctx: RequestContext): Promise<{ parent: number | null; resolved: number[] }> {
  return (await oncePerRequest(db, ctx.requestKey, async (tx): Promise<{ parent: number | null; resolved: number[] }> => {
    const { rows } = await tx.query<{ number: number }>('SELECT number FROM incidents WHERE id = $1', [parentId]);
    const parent = rows[0]?.number ?? null;
    const resolved: number[] = [];
    const events: TimelineEntry[] = [];
    for (const c of parent === null ? [] : await readChildren(tx, parentId, { open: true })) {
      const decision = decideStatusAction(c.status, 'resolve');
      if (decision.kind !== 'move') continue;
      await setIncidentStatus(tx, queue, c.id, decision.to, ctx.at);
      resolved.push(c.number);
      events.push({
        incidentId: c.id, at: ctx.at, kind: 'incident.status_changed', actor: ctx.actor,
        summary: `${incidentRef(c.number)} resolved with its parent ${incidentRef(parent!)} by ${ctx.actor}`, data: { from: c.status, to: decision.to, parent },
      });
    }
    if (resolved.length) {
      events.push({
        incidentId: parentId, at: ctx.at, kind: 'incident.children_resolved', actor: ctx.actor,
        summary: `${refs(resolved)} resolved with ${incidentRef(parent!)} by ${ctx.actor}`, data: { children: resolved },
      });
      await appendTimeline(tx, events);
      await queue.enqueue(tx, cardJob(parentId));
      const ids = await readChildren(tx, parentId);
      await queue.enqueue(tx, ...ids.filter((c) => resolved.includes(c.number)).map((c) => cardJob(c.id)));
    }
    return { parent, resolved };
  })).value;
}
