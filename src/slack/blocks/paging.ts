import type { PageOutcome } from '../../incidents/pages-sql.js';
import type { OnCallPerson } from '../../incidents/paging.js';
import { incidentRef } from '../../incidents/types.js';
import { safeMrkdwn } from '../../lib/mrkdwn.js';
import { mention, slackDate } from './common.js';
import { ephemeral, inChannel, type Reply } from './replies.js';

const code = (service: string) => `\`${safeMrkdwn(service, 63)}\``;

/** The answer to `/incident page`: the channel hears about a page, the asker alone about the rest. */
export function pageReply(outcome: PageOutcome, actor: string, notFound: string): Reply {
  switch (outcome.outcome) {
    case 'not_found':
      return ephemeral(notFound);
    case 'unknown_service': {
      const known = outcome.known.map((s) => `\`${s}\``).join(', ');
      return ephemeral(outcome.service === null
        ? `:warning: This incident has no PagerDuty service of its own: name one of ${known}, like \`/incident page ${outcome.known[0]}\`.`
        : `:warning: There is no PagerDuty service \`${safeMrkdwn(outcome.service, 63)}\`: the services are ${known}.`);
    }
    case 'not_open':
      return ephemeral(`:warning: ${incidentRef(outcome.number)} is ${outcome.status}: nobody was paged.`);
    case 'already_paged':
      return ephemeral(`${incidentRef(outcome.number)} was already paged on ${code(outcome.service)} ${slackDate(new Date(outcome.at))} by ${outcome.by.startsWith('U') ? mention(outcome.by) : safeMrkdwn(outcome.by, 40)}: nothing more was sent.`);
    case 'requested':
      return inChannel(`${mention(actor)} is paging PagerDuty (${code(outcome.service)}) about *${incidentRef(outcome.number)}*.`);
  }
}

/** A page as the card shows it. */
export interface PageView {
  service: string;
  sent: 'trigger' | 'acknowledge' | 'resolve' | null;
  rejected: boolean;
  oncall: OnCallPerson[];
}

const STATE: Record<string, string> = { null: 'paging…', trigger: 'paged', acknowledge: 'acknowledged', resolve: 'resolved' };

/** One line per page for the card: the service, where it stands, who is on call. */
export function pagesLine(pages: readonly PageView[]): string {
  return ':pager: PagerDuty: ' + pages.map((p) => {
    const state = p.rejected ? 'refused by PagerDuty (see the timeline)' : STATE[String(p.sent)];
    const people = p.oncall.length ? ` · on call: ${p.oncall.slice(0, 4).map((o) => `${safeMrkdwn(o.name, 60)} (L${o.level})`).join(', ')}` : '';
    return `*${safeMrkdwn(p.service, 63)}* ${state}${people}`;
  }).join('   ');
}
