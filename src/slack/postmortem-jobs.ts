import type { Db } from '../db/db.js';
import { incidentRef } from '../incidents/types.js';
import { cut } from '../lib/mrkdwn.js';
import { POSTMORTEM_POST, storedPostmortem } from '../postmortem/draft.js';
import { chartName } from '../postmortem/render.js';
import { handle, type JobBinding } from '../queue/job.js';
import type { SlackApi } from './api.js';
import { readCardPlace } from './card-sql.js';

/** Posts the stored postmortem draft where the incident lives: its own channel, else the card's thread. */
export function createPostmortemSlackJobs(deps: { db: Db; api: SlackApi; incidentChannel: string }): JobBinding[] {
  const post = handle(POSTMORTEM_POST, async (job) => {
    const { incidentId } = job.payload;
    const pm = await storedPostmortem(deps.db, incidentId);
    if (!pm) return;
    const place = await readCardPlace(deps.db, incidentId, 0);
    const channel = place?.slackChannelId ?? place?.channel ?? deps.incidentChannel;
    const threadTs = place?.slackChannelId ? undefined : place?.ts ?? undefined;
    const ref = incidentRef(pm.number);
    await deps.api.uploadFiles({
      channel, threadTs,
      comment: `:memo: Postmortem draft of *${ref}* (revision ${pm.revision}): the facts are filled in; impact, root cause and action items are yours to write.`,
      files: [
        { filename: `${ref}-postmortem.md`, title: `${ref} postmortem draft`, content: pm.markdown },
        ...pm.charts.map((c, k) => ({ filename: chartName(pm.number, k + 1), title: cut(c.title, 250), content: c.png })),
      ],
    });
  });
  return [post];
}
