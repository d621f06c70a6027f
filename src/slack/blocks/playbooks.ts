import { incidentRef } from '../../incidents/types.js';
import { safeMrkdwn } from '../../lib/mrkdwn.js';
import type { Playbook } from '../../playbooks/validate.js';
import type { ManualRunOutcome } from '../../runner/start.js';
import { mention } from './common.js';
import { ephemeral, inChannel, type Reply } from './replies.js';

/** `/incident playbooks`: what is loaded, what each matches, and whether files were refused. */
export function playbooksText(playbooks: readonly Playbook[], problems: number): string {
  const lines = playbooks.map((p) => {
    const d = p.definition;
    const gated = d.steps.filter((s) => s.approval).length;
    return `• *${safeMrkdwn(d.name, 100)}* — ${safeMrkdwn(d.description ?? 'no description', 200)}\n` +
      `   matches \`${safeMrkdwn(d.match.join(', '), 300)}\` · ${d.steps.length} steps${gated ? `, ${gated} need approval` : ''}`;
  });
  const refused = problems ? `\n:warning: ${problems} problem(s) in playbook files: those files are not in use (see the log, or run \`firebreak playbooks check\`).` : '';
  return (lines.length ? `Playbooks (${lines.length}):\n${lines.join('\n')}` : 'No playbooks are loaded.') + refused;
}

/** The answer to `/incident run`. */
export function runReply(o: ManualRunOutcome, actor: string, notFound: string): Reply {
  switch (o.outcome) {
    case 'started':
      return inChannel(`${mention(actor)} started playbook *${safeMrkdwn(o.playbook, 100)}* on *${incidentRef(o.incident)}* (${o.steps} steps)`);
    case 'unknown_playbook':
      return ephemeral(`:warning: There is no playbook by that name. Loaded: ${o.known.length ? o.known.map((k) => `\`${k}\``).join(', ') : 'none'}.`);
    case 'closed':
      return ephemeral(`:warning: ${incidentRef(o.incident)} is ${o.status}: playbooks run on open incidents only.`);
    case 'not_found':
      return ephemeral(notFound);
  }
}
