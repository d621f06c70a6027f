import { randomUUID } from 'node:crypto';
import type { TableAction } from '../access/permissions.js';
import { slackPrincipal } from '../access/principal.js';
import type { Refusal } from '../access/refusal.js';
import { recordRefusal } from '../access/refusals.js';
import type { RefusalPlace } from '../access/refusals-sql.js';
import { changeIncident, declareIncident, requestPostmortem, type IncidentChange } from '../incidents/commands.js';
import { linkIncidents } from '../incidents/links.js';
import { pageIncident } from '../incidents/pages-sql.js';
import { findIncident, listOpenIncidents, recentTimeline } from '../incidents/queries.js';
import { incidentRef, type IncidentTarget } from '../incidents/types.js';
import { describeError, ErrorCode, FirebreakError } from '../lib/errors.js';
import { safeMrkdwn } from '../lib/mrkdwn.js';
import type { CommandDeps } from '../runner/command-deps.js';
import { runPlaybookByHand } from '../runner/start.js';
import { incidentRuns } from '../runner/views.js';
import { refusalText } from './blocks/access.js';
import { runsText } from './blocks/approval.js';
import { playbooksText, runReply } from './blocks/playbooks.js';
import { parseCommand, helpText, type ParsedCommand } from './command-parse.js';
import { mention } from './blocks/common.js';
import { linkReply } from './blocks/links.js';
import { pageReply } from './blocks/paging.js';
import { changeReply, ephemeral, inChannel, statusText, summaryLine, timelineText, type Reply } from './blocks/replies.js';

/** A `/incident` request as Slack sends it (the fields firebreak uses). */
export interface CommandRequest {
  text: string;
  userId: string;
  channelId: string;
  /** Unique per invocation and the same in Slack's retries of it: the idempotency key. */
  triggerId: string | undefined;
}


const LIST_MAX = 20;
const TIMELINE_MAX = 20;

/** What to tell a person whose request failed: nothing they asked for happened. */
export function failureText(err: unknown): string {
  return err instanceof FirebreakError && err.code === ErrorCode.DatabaseUnavailable
    ? ':warning: firebreak cannot reach its database right now, so nothing was changed. Try again in a minute.'
    : ':warning: firebreak could not do that because of an internal error (logged); nothing was changed.';
}

/** The permission-table action of a command, and the incident a refusal of it is recorded on. */
export function commandSubject(c: ParsedCommand, req: Pick<CommandRequest, 'userId' | 'channelId'>): { action: TableAction; place: RefusalPlace | null } {
  // Naming yourself commander is taking command, as the card's "I'm commander" button does.
  const action: TableAction = c.name === 'commander' && c.user === req.userId ? 'commander.claim' : c.name;
  const place = c.name === 'help' || c.name === 'list' || c.name === 'playbooks' || c.name === 'declare' ? null
    : { target: c.ref !== undefined ? { number: c.ref } : { channelId: req.channelId } };
  return { action, place };
}

const requestKeyOf = (req: CommandRequest) => `command:${req.triggerId ?? randomUUID()}`;

/**
 * Refuses a command with `refusal` (for `action`, which the caller worked out): recorded and
 * counted, answered to the asker alone. A command that does not parse is refused as `help`.
 */
export async function refuseCommand(deps: CommandDeps, req: CommandRequest, refusal: (action: TableAction) => Refusal): Promise<Reply> {
  const parsed = parseCommand(req.text);
  const { action, place } = parsed.ok ? commandSubject(parsed.command, req) : { action: 'help' as const, place: null };
  try {
    const r = await recordRefusal(deps.db, deps.metrics, { who: slackPrincipal(req.userId), refusal: refusal(action), place, at: deps.clock.now(), requestKey: requestKeyOf(req) });
    return ephemeral(refusalText(r));
  } catch (err) {
    deps.logger.error({ err: describeError(err) }, 'could not record a refused command');
    return ephemeral(refusalText(refusal(action)));
  }
}

/** Runs one `/incident` request and returns the answer. Never throws: every failure is an answer. */
export async function runCommand(deps: CommandDeps, req: CommandRequest): Promise<Reply> {
  const parsed = parseCommand(req.text);
  if (!parsed.ok) return ephemeral(`:warning: ${safeMrkdwn(parsed.error, 200)}\nUsage:\n\`\`\`${parsed.usage}\`\`\``);
  return runParsed(deps, req, parsed.command);
}

/**
 * Runs a command already parsed (typed, or filled in a form such as the declare modal): the
 * permission check, then the change, each once per request key. Never throws.
 */
export async function runParsed(deps: CommandDeps, req: CommandRequest, command: ParsedCommand): Promise<Reply> {
  try {
    const who = slackPrincipal(req.userId);
    const { action, place } = commandSubject(command, req);
    const permitted = await deps.access.check(who, action);
    const ctx = { actor: who.actor, at: deps.clock.now(), requestKey: requestKeyOf(req) };
    if (!permitted.ok) return ephemeral(refusalText(await recordRefusal(deps.db, deps.metrics, { who, refusal: permitted.refusal, place, ...ctx })));
    return await execute(deps, command, req, ctx);
  } catch (err) {
    deps.logger.error({ err: describeError(err), command: command.name }, 'slash command failed');
    return ephemeral(failureText(err));
  }
}

async function execute(deps: CommandDeps, c: ParsedCommand, req: CommandRequest, ctx: { actor: string; at: Date; requestKey: string }): Promise<Reply> {
  const { db } = deps;
  const target: IncidentTarget = 'ref' in c && c.ref !== undefined ? { number: c.ref } : { channelId: req.channelId };
  const notFound = 'ref' in c && c.ref !== undefined
    ? `:warning: There is no incident ${incidentRef(c.ref)}.`
    : ':warning: This channel is not an incident channel: name the incident, like `/incident ' + c.name + ' INC-7`.';

  switch (c.name) {
    case 'help':
      return ephemeral(helpText());
    case 'list': {
      const open = await listOpenIncidents(db, LIST_MAX);
      return ephemeral(open.length ? `Open incidents:\n${open.map(summaryLine).join('\n')}` : 'No open incidents.');
    }
    case 'status': {
      const i = await findIncident(db, target);
      return ephemeral(i ? statusText(i) : notFound);
    }
    case 'timeline': {
      const i = await findIncident(db, target);
      if (!i) return ephemeral(notFound);
      const { lines, total } = await recentTimeline(db, i.id, TIMELINE_MAX);
      return ephemeral(timelineText(i, lines, total));
    }
    case 'playbooks':
      return ephemeral(playbooksText(deps.registry.current(), deps.registry.problems().length));
    case 'steps': {
      const i = await findIncident(db, target);
      if (!i) return ephemeral(notFound);
      return ephemeral(runsText(i.number, await incidentRuns(db, i.id)));
    }
    case 'run':
      return runReply(await runPlaybookByHand(db, deps.queue, deps.registry, target, c.playbook, ctx), req.userId, notFound);
    case 'page': {
      if (!deps.pagerServices?.length) return ephemeral(':warning: PagerDuty is not set up here (PAGERDUTY_ROUTING_KEY or PAGERDUTY_SERVICES): nobody was paged.');
      const outcome = await pageIncident(db, deps.queue, target, c.service, deps.pagerServices, deps.routes, { ...ctx, reason: `asked by ${req.userId}` });
      return pageReply(outcome, req.userId, notFound);
    }
    case 'postmortem': {
      const number = await requestPostmortem(db, deps.queue, target, req.userId);
      if (number === null) return ephemeral(notFound);
      return ephemeral(`Drafting the postmortem of *${incidentRef(number)}*: it will be posted in the incident's channel in a moment.`);
    }
    case 'link':
      return linkReply(await linkIncidents(db, deps.queue, c.ref, c.children, ctx), req.userId);
    case 'declare': {
      const { title, severity, description, commander, ownChannel } = c;
      const created = await declareIncident(db, deps.queue, { title, severity, description, commander, ownChannel }, ctx);
      return inChannel(`${mention(req.userId)} declared *${incidentRef(created.number)}* (${c.severity}): ${safeMrkdwn(c.title, 200)}`);
    }
    default: {
      const change: IncidentChange =
        c.name === 'sev' ? { kind: 'severity', severity: c.severity }
          : c.name === 'commander' ? { kind: 'commander', user: c.user }
            : c.name === 'note' ? { kind: 'note', text: c.text }
              : { kind: 'status', action: c.name === 'ack' ? 'acknowledge' : c.name };
      const outcome = await changeIncident(db, deps.queue, target, change, ctx);
      return changeReply(outcome, change, req.userId, notFound);
    }
  }
}
