import { SEVERITIES, type Severity } from '../../incidents/types.js';
import { cut } from '../../lib/mrkdwn.js';
import { TITLE_MAX } from '../command-parse.js';
import type { Block } from './common.js';

/** The callback id of the declare modal: its submission comes back under it. */
export const DECLARE_VIEW = 'incident_declare';

/** Block and action ids of the modal's fields: `response_action: errors` names the blocks. */
export const FIELD = {
  title: { block: 'title', action: 'title_input' },
  severity: { block: 'severity', action: 'severity_select' },
  description: { block: 'description', action: 'description_input' },
  commander: { block: 'commander', action: 'commander_select' },
  channel: { block: 'channel', action: 'channel_choice' },
} as const;

export const DESCRIPTION_MAX = 3000;

const SEVERITY_TEXT: Record<Severity, string> = {
  sev1: 'SEV1 · critical, customers down', sev2: 'SEV2 · major, degraded', sev3: 'SEV3 · minor', sev4: 'SEV4 · low, cosmetic',
};
const plain = (text: string) => ({ type: 'plain_text' as const, text });
const option = (s: Severity) => ({ text: plain(SEVERITY_TEXT[s]), value: s });
const CHANNEL_OPTIONS = { own: { text: plain('Open a channel for it'), value: 'own' }, main: { text: plain('Keep it in the incident channel'), value: 'main' } };

/** What the modal starts with, and what its submission must remember. */
export interface DeclareForm {
  /** Who opened it: the commander proposed. */
  userId: string;
  severity: Severity;
  /** Whether "a channel of its own" is ticked at first (SLACK_CREATE_CHANNELS). */
  ownChannel: boolean;
  /** Where `/incident declare` was typed, kept in private_metadata. */
  channelId: string;
}

/** The declare modal (views.open): title, severity, description, commander, channel or not. */
export function declareModal(form: DeclareForm): Block {
  return {
    type: 'modal',
    callback_id: DECLARE_VIEW,
    title: plain('Declare an incident'),
    submit: plain('Declare'),
    close: plain('Cancel'),
    private_metadata: JSON.stringify({ channel: form.channelId }),
    blocks: [
      {
        type: 'input', block_id: FIELD.title.block, label: plain('Title'),
        element: { type: 'plain_text_input', action_id: FIELD.title.action, max_length: TITLE_MAX, placeholder: plain('Checkout returns 500s') },
      },
      {
        type: 'input', block_id: FIELD.severity.block, label: plain('Severity'),
        element: { type: 'static_select', action_id: FIELD.severity.action, options: SEVERITIES.map(option), initial_option: option(form.severity) },
      },
      {
        type: 'input', block_id: FIELD.description.block, label: plain('What is happening'), optional: true,
        element: { type: 'plain_text_input', action_id: FIELD.description.action, multiline: true, max_length: DESCRIPTION_MAX },
      },
      {
        type: 'input', block_id: FIELD.commander.block, label: plain('Commander'),
        element: { type: 'users_select', action_id: FIELD.commander.action, initial_user: form.userId },
      },
      {
        type: 'input', block_id: FIELD.channel.block, label: plain('Where'),
        element: {
          type: 'radio_buttons', action_id: FIELD.channel.action, options: [CHANNEL_OPTIONS.own, CHANNEL_OPTIONS.main],
          initial_option: form.ownChannel ? CHANNEL_OPTIONS.own : CHANNEL_OPTIONS.main,
        },
      },
    ],
  };
}

/** What a submitted modal asks for. */
export interface DeclareSubmission {
  title: string;
  severity: Severity;
  description?: string;
  commander?: string;
  ownChannel: boolean;
  /** Where the modal was opened from. */
  channelId: string | undefined;
}

type StateValues = Record<string, Record<string, { value?: unknown; selected_option?: { value?: unknown } | null; selected_user?: unknown }>>;

/**
 * Reads a view_submission's `view` (state values and private_metadata): the declaration, or the
 * error to show under each field that is wrong. Everything in it came from the client: checked
 * here, not trusted to Slack's own required fields and limits. Pure.
 */
export function readDeclareSubmission(view: { state?: { values?: unknown }; private_metadata?: unknown }):
  { ok: true; submission: DeclareSubmission } | { ok: false; errors: Record<string, string> } {
  const values = (view.state?.values ?? {}) as StateValues;
  const field = (f: { block: string; action: string }) => values[f.block]?.[f.action];
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const errors: Record<string, string> = {};

  const title = text(field(FIELD.title)?.value).replace(/\s+/g, ' ');
  if (!title) errors[FIELD.title.block] = 'Give the incident a title.';
  else if (title.length > TITLE_MAX) errors[FIELD.title.block] = `At most ${TITLE_MAX} characters (this is ${title.length}).`;

  const severity = text(field(FIELD.severity)?.selected_option?.value);
  if (!(SEVERITIES as readonly string[]).includes(severity)) errors[FIELD.severity.block] = 'Choose a severity, SEV1 to SEV4.';

  const description = text(field(FIELD.description)?.value);
  if (description.length > DESCRIPTION_MAX) errors[FIELD.description.block] = `At most ${DESCRIPTION_MAX} characters (this is ${description.length}).`;

  const commander = text(field(FIELD.commander)?.selected_user);
  if (commander && !/^[UW][A-Z0-9]{2,}$/.test(commander)) errors[FIELD.commander.block] = 'Choose a person from the list.';

  const where = text(field(FIELD.channel)?.selected_option?.value);
  if (where !== 'own' && where !== 'main') errors[FIELD.channel.block] = 'Choose whether the incident gets a channel of its own.';

  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    submission: {
      title, severity: severity as Severity, ownChannel: where === 'own', channelId: metadataChannel(view.private_metadata),
      ...(description ? { description } : {}), ...(commander ? { commander } : {}),
    },
  };
}

function metadataChannel(metadata: unknown): string | undefined {
  try {
    const channel = (JSON.parse(String(metadata ?? '')) as { channel?: unknown }).channel;
    return typeof channel === 'string' && /^[CGD][A-Z0-9]+$/.test(channel) ? channel : undefined;
  } catch {
    return undefined;
  }
}

/** The modal after a submission: what happened (declared, or refused), with a Close button. Text is mrkdwn, already escaped. */
export function declaredView(text: string): Block {
  return {
    type: 'modal', title: plain('Declare an incident'), close: plain('Close'),
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: cut(text, 3000) } }],
  };
}
