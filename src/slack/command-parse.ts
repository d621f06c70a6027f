import { SEVERITIES, type Severity } from '../incidents/types.js';

/** A `/incident` request, parsed. `ref`: the INC-n number given, if any (else the channel's incident). */
export type ParsedCommand =
  | { name: 'help' }
  | { name: 'list' }
  | { name: 'declare'; title: string; severity: Severity; description?: string; commander?: string; ownChannel?: boolean }
  | { name: 'status' | 'ack' | 'mitigate' | 'resolve' | 'timeline' | 'steps' | 'postmortem'; ref?: number }
  | { name: 'playbooks' }
  | { name: 'run'; ref?: number; playbook: string }
  | { name: 'sev'; ref?: number; severity: Severity }
  | { name: 'commander'; ref?: number; user: string }
  | { name: 'note'; ref?: number; text: string }
  | { name: 'page'; ref?: number; service?: string }
  | { name: 'link'; ref: number; children: number[] };

/** Parsed, or what was wrong and the right form. */
export type ParseResult = { ok: true; command: ParsedCommand } | { ok: false; error: string; usage: string };

/** Each subcommand's form and what it does: the help text, and the hint after a mistake. */
export const USAGE = {
  help: ['help', 'show this help'],
  declare: ['declare <title> [sev1-4]', 'open an incident by hand (sev3 unless given); you are its commander'],
  list: ['list', 'open incidents'],
  status: ['status [INC-n]', "an incident's state"],
  ack: ['ack [INC-n]', 'acknowledge: you are on it'],
  mitigate: ['mitigate [INC-n]', 'the impact is contained'],
  resolve: ['resolve [INC-n]', 'the incident is over'],
  sev: ['sev [INC-n] <1-4>', 'change the severity'],
  commander: ['commander [INC-n] <@user>', 'hand the incident to someone'],
  note: ['note [INC-n] <text>', 'add a note to the timeline'],
  timeline: ['timeline [INC-n]', 'the latest timeline events'],
  run: ['run <playbook> [INC-n]', 'start a playbook on the incident'],
  playbooks: ['playbooks', 'the playbooks firebreak has loaded'],
  steps: ['steps [INC-n]', 'the playbook runs of the incident and their steps'],
  page: ['page [service] [INC-n]', "page PagerDuty about the incident (its own service unless named)"],
  postmortem: ['postmortem [INC-n]', 'draft the postmortem now and post it here'],
  link: ['link <INC-parent> <INC-a> [INC-b…]', 'make INC-parent the parent incident of the others (its timeline and postmortem cover them)'],
} as const satisfies Record<ParsedCommand['name'], readonly [string, string]>;

type Name = keyof typeof USAGE;
const usage = (name: Name) => `/incident ${USAGE[name][0]}`;
const ALL_FORMS = Object.values(USAGE).map(([form]) => `/incident ${form}`).join('\n');

/** The help text: every subcommand that works, with its form. */
export function helpText(): string {
  return ['*/incident* subcommands (in an incident channel the incident is implied; elsewhere name it with INC-n):',
    ...Object.values(USAGE).map(([form, what]) => `• \`/incident ${form}\` — ${what}`)].join('\n');
}

const REF = /^inc-(\d{1,9})$/i;
const MENTION = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/;
/** The longest incident title firebreak takes. */
export const TITLE_MAX = 200;
const NOTE_MAX = 3000;
// Incidents one /incident link names (Slack's command text is at most 4,000 characters anyway).
const LINK_MAX = 500;

/**
 * Parses the text after `/incident`. Slack sends `&`, `<` and `>` typed by people as entities; they
 * are decoded here so the stored text is what was typed (it is escaped again wherever it is shown).
 */
export function parseCommand(rawText: string): ParseResult {
  const text = rawText.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();
  let tokens = text ? text.split(/\s+/) : [];
  let ref: number | undefined;
  const takeRef = (at: number) => {
    const m = REF.exec(tokens[at] ?? '');
    if (!m) return;
    ref = Number(m[1]);
    tokens = tokens.filter((_, i) => i !== at);
  };
  takeRef(0); // "/incident INC-7 ack" as well as "/incident ack INC-7"
  const name = (tokens.shift() ?? 'help').toLowerCase();
  const fail = (error: string, form: Name | null) => ({ ok: false as const, error, usage: form ? usage(form) : ALL_FORMS });
  const done = (command: ParsedCommand) => ({ ok: true as const, command });

  if (!(name in USAGE)) return fail(`unknown subcommand "${name.slice(0, 40)}"`, null);
  const form = name as Name;
  if (form === 'note' || form === 'declare') {
    if (form === 'note') {
      if (ref === undefined) takeRef(0);
      const note = dropWords(text, text.split(/\s+/).length - tokens.length);
      if (!note) return fail('the note is empty', 'note');
      if (note.length > NOTE_MAX) return fail(`the note is ${note.length} characters; at most ${NOTE_MAX}`, 'note');
      return done({ name: 'note', ref, text: note });
    }
    if (ref !== undefined) return fail('declare opens a new incident: give no INC-n', 'declare');
    let severity: Severity = 'sev3';
    const last = tokens.at(-1)?.toLowerCase();
    if (last && /^sev[1-4]$/.test(last)) {
      severity = last as Severity;
      tokens.pop();
    }
    const title = tokens.join(' ');
    if (!title) return fail('a title is needed', 'declare');
    if (title.length > TITLE_MAX) return fail(`the title is ${title.length} characters; at most ${TITLE_MAX}`, 'declare');
    return done({ name: 'declare', title, severity });
  }

  if (form === 'link') {
    const all = [...(ref === undefined ? [] : [`INC-${ref}`]), ...tokens];
    const bad = all.find((t) => !REF.test(t));
    if (bad !== undefined) return fail(`"${bad.slice(0, 40)}" is not an incident (like INC-7)`, 'link');
    const [parent, ...children] = all.map((t) => Number(REF.exec(t)![1]));
    if (parent === undefined || !children.length) return fail('name the parent incident, then at least one incident to link to it', 'link');
    if (children.length > LINK_MAX) return fail(`at most ${LINK_MAX} incidents at once`, 'link');
    return done({ name: 'link', ref: parent, children });
  }
  if (ref === undefined) takeRef(0);
  if (ref === undefined) takeRef(tokens.length - 1);
  switch (form) {
    case 'help':
    case 'list':
    case 'playbooks':
      if (ref !== undefined || tokens.length) return fail(`${form} takes no arguments`, form);
      return done({ name: form });
    case 'run': {
      const playbook = tokens[0]?.toLowerCase();
      if (tokens.length !== 1 || !playbook || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(playbook)) return fail('name one playbook (see /incident playbooks)', 'run');
      return done({ name: 'run', ref, playbook });
    }
    case 'page': {
      const service = tokens[0]?.toLowerCase();
      if (tokens.length > 1 || (service !== undefined && !/^[a-z0-9][a-z0-9_-]{0,62}$/.test(service))) return fail('name at most one PagerDuty service', 'page');
      return done({ name: 'page', ref, ...(service ? { service } : {}) });
    }
    case 'status': case 'ack': case 'mitigate': case 'resolve': case 'timeline': case 'steps': case 'postmortem':
      if (tokens.length) return fail(`unexpected "${tokens.join(' ').slice(0, 40)}"`, form);
      return done({ name: form, ref });
    case 'sev': {
      const level = /^(?:sev)?([1-4])$/i.exec(tokens[0] ?? '');
      if (tokens.length !== 1 || !level) return fail('give the severity as 1, 2, 3 or 4', 'sev');
      return done({ name: 'sev', ref, severity: SEVERITIES[Number(level[1]) - 1]! });
    }
    case 'commander': {
      const user = MENTION.exec(tokens[0] ?? '');
      if (tokens.length !== 1 || !user) return fail('mention the new commander, like @alice', 'commander');
      return done({ name: 'commander', ref, user: user[1]! });
    }
  }
}

// The text without its first `n` words, spacing kept (for a note, the words before it are the
// subcommand and the INC-n).
function dropWords(text: string, n: number): string {
  let rest = text;
  for (let i = 0; i < n; i++) rest = rest.replace(/^\S+\s*/, '');
  return rest.trim();
}

/**
 * `/incident declare` with no title (a severity at most): the declare form is wanted, starting at
 * that severity. Undefined for anything else, which parseCommand takes.
 */
export function declareFormWanted(rawText: string): { severity: Severity } | undefined {
  const tokens = rawText.trim().split(/\s+/).filter(Boolean);
  if (tokens[0]?.toLowerCase() !== 'declare') return undefined;
  if (tokens.length === 1) return { severity: 'sev3' };
  const severity = tokens[1]!.toLowerCase();
  return tokens.length === 2 && /^sev[1-4]$/.test(severity) ? { severity: severity as Severity } : undefined;
}
