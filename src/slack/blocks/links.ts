import type { LinkOutcome } from '../../incidents/links.js';
import type { IncidentView } from '../../incidents/queries.js';
import { incidentRef, OPEN_STATUSES } from '../../incidents/types.js';
import { safeMrkdwn } from '../../lib/mrkdwn.js';
import { ACTION, type Block, mention } from './common.js';
import { ephemeral, inChannel, type Reply } from './replies.js';

const refs = (numbers: readonly number[]) => numbers.map((n) => `*${incidentRef(n)}*`).join(', ');

/** The answer to `/incident link` (and to a declared outage's links). */
export function linkReply(o: LinkOutcome, userId: string): Reply {
  if (o.outcome === 'refused') return ephemeral(`:warning: Nothing was linked: ${safeMrkdwn(o.reason, 500)}.`);
  if (!o.linked.length) return ephemeral(`${refs(o.already)} ${o.already.length === 1 ? 'was' : 'were'} already part of *${incidentRef(o.parent)}*: nothing changed.`);
  return inChannel(`${mention(userId)} linked ${refs(o.linked)} to *${incidentRef(o.parent)}*: its timeline and postmortem cover them` +
    (o.already.length ? ` (${refs(o.already)} already were)` : '') + '.');
}

/** The answer to "Resolve linked incidents". */
export function childrenResolvedReply(r: { parent: number | null; resolved: number[] }, userId: string): string {
  if (r.parent === null) return ':warning: This incident no longer exists.';
  if (!r.resolved.length) return `The incidents linked to *${incidentRef(r.parent)}* were already resolved: nothing changed.`;
  return `${mention(userId)} resolved ${refs(r.resolved)} with their parent *${incidentRef(r.parent)}*.`;
}

// Children named on a parent's card; the rest are counted.
const CHILDREN_SHOWN = 30;

/**
 * On a card: the parent an incident is part of, or the children a parent covers, and once the
 * parent is resolved with children still open, the offer to resolve them.
 */
export function familyBlocks(i: Pick<IncidentView, 'id' | 'status' | 'children' | 'parentNumber'>): Block[] {
  if (i.parentNumber) return [{ type: 'context', elements: [{ type: 'mrkdwn', text: `Part of *${incidentRef(i.parentNumber)}*.` }] }];
  const children = i.children ?? [];
  if (!children.length) return [];
  const open = children.filter((c) => OPEN_STATUSES.includes(c.status));
  const shown = children.slice(0, CHILDREN_SHOWN).map((c) => incidentRef(c.number)).join(', ');
  const blocks: Block[] = [{
    type: 'context',
    elements: [{
      type: 'mrkdwn',
      text: `Covers ${children.length} incidents (${open.length} open): ${shown}${children.length > CHILDREN_SHOWN ? ', …' : ''}`,
    }],
  }];
  if (open.length && !OPEN_STATUSES.includes(i.status)) {
    blocks.push({
      type: 'actions', block_id: 'incident_children',
      elements: [{
        type: 'button', action_id: ACTION.resolveChildren, value: String(i.id), style: 'primary',
        text: { type: 'plain_text', text: `Resolve ${open.length} linked incident${open.length === 1 ? '' : 's'}` },
      }],
    });
  }
  return blocks;
}
