import type { RequestContext } from '../incidents/commands.js';
import { declareParent } from '../incidents/links.js';
import { incidentRef } from '../incidents/types.js';
import { cut } from '../lib/mrkdwn.js';
import { sharedLabels } from './blocks/digest.js';
import { mention } from './blocks/common.js';
import type { CommandDeps } from '../runner/command-deps.js';
import { OUTAGE_DIGEST } from './digest-jobs.js';
import { readDigestIncidents, readOutage, setOutageParent } from './outage-sql.js';

// Thrown inside the declaration's transaction when another click declared the outage first: rolls it back.
class AlreadyDeclared extends Error {}

/**
 * "Declare outage" on a digest: a sev1 parent incident, commanded by whoever clicked, that links
 * every incident of the outage. Its title names the labels they share. The digest then names it.
 */
export async function declareOutage(deps: CommandDeps, outageId: number, userId: string, ctx: RequestContext): Promise<string> {
  const outage = await readOutage(deps.db, outageId, 0);
  if (!outage) return ':warning: This outage no longer exists.';
  if (outage.parentNumber !== null) return `This outage was already declared: *${incidentRef(outage.parentNumber)}*.`;
  const incidents = await readDigestIncidents(deps.db, outageId);
  const cause = sharedLabels(incidents).map(([k, v]) => `${k}=${v}`).join(', ');
  const title = cut(`Outage: ${incidents.length} incidents${cause ? ` (${cause})` : ''}`, 200);
  try {
    const declared = await declareParent(deps.db, deps.queue, { title, severity: 'sev1' }, incidents.map((i) => i.number), ctx, async (tx, parent) => {
      if (!(await setOutageParent(tx, outageId, parent.id))) throw new AlreadyDeclared();
      await deps.queue.enqueue(tx, OUTAGE_DIGEST.of({ outageId }));
    });
    if (declared.number === null) return 'This outage was already declared.';
    const linked = declared.outcome.outcome === 'linked' ? declared.outcome.linked.length : 0;
    return `${mention(userId)} declared the outage as *${incidentRef(declared.number)}* (sev1), linking ${linked} incidents.`;
  } catch (err) {
    if (!(err instanceof AlreadyDeclared)) throw err;
    const again = await readOutage(deps.db, outageId, 0);
    return `This outage was already declared${again?.parentNumber ? `: *${incidentRef(again.parentNumber)}*` : ''}.`;
  }
}
