import { z } from 'zod';
import { SEVERITIES } from '../incidents/types.js';
import { DURATION_PATTERN, parseDuration } from '../lib/duration.js';
import { ACTION_NAMES, WRITTEN_PARAMS } from './action-params.js';

const duration = (description: string) =>
  z.string().regex(DURATION_PATTERN, { error: 'must be a duration like 30s, 15m or 2h' }).describe(description);

/** Slack user ids (U…/W…), user group handles (@sre-leads), the incident's commander, or whoever is on call in PagerDuty. */
export const APPROVER_PATTERN = /^(?:[UW][A-Z0-9]{2,}|@[a-z0-9][a-z0-9._-]*|commander|oncall)$/;

const approval = z.object({
  approvers: z.array(z.string().regex(APPROVER_PATTERN, {
    error: 'must be a Slack user id (U012ABCDEF), a user group handle (@sre-leads), commander or oncall',
  })).min(1).describe('Who may approve: Slack user ids, @usergroup handles, commander (the incident\'s commander when clicked), or oncall (who PagerDuty has on call for the incident\'s service, matched to Slack by email).'),
  min_approvals: z.number().int().min(1).max(10).default(1).describe('Distinct approvers needed.'),
  distinct_from_requester: z.boolean().default(false)
    .describe('The person who started the playbook (/incident run) may not approve its steps.'),
  timeout: duration('Unanswered this long, the approval expires.').default('15m'),
  on_timeout: z.enum(['abort', 'skip']).default('abort').describe('On expiry: abort the playbook, or skip this step.'),
}).strict();

/** The longest a step may run: it holds a slot of the steps pool meanwhile. */
export const MAX_STEP_TIMEOUT = '1h';

const retry = z.object({
  attempts: z.number().int().min(1).max(10).describe('Attempts in all, the first included.'),
  backoff: duration('The wait before the second attempt; it doubles each time, with jitter.').default('1s'),
}).strict();

const common = {
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'must be lowercase letters, digits, - or _ (at most 63)' })
    .describe('Unique within the playbook; later steps read its output as steps.<id>.output.'),
  approval: approval.optional().describe('Stop until the right people approve in Slack.'),
  timeout: duration(`The longest one attempt may take (at most ${MAX_STEP_TIMEOUT}).`)
    .refine((d) => !DURATION_PATTERN.test(d) || parseDuration(d) <= parseDuration(MAX_STEP_TIMEOUT), {
      error: `must be at most ${MAX_STEP_TIMEOUT}: a running step holds one of the steps pool's workers`,
    }).optional(),
  retry: retry.optional(),
  on_failure: z.enum(['abort', 'continue']).default('abort').describe('After the last failed attempt: stop the playbook, or go on.'),
  idempotent: z.boolean().optional()
    .describe('Safe to run again after a crash mid-run. false by default for exec and http: such a step asks a human instead.'),
  run_when_resolved: z.boolean().default(false).describe('Run even when the incident is already resolved.'),
};

/** One step: an action, its parameters and its options. */
const step = z.discriminatedUnion('action', ACTION_NAMES.map((name) =>
  z.object({ ...common, action: z.literal(name), with: WRITTEN_PARAMS[name] }).strict(),
) as unknown as [z.ZodObject, ...z.ZodObject[]]);

/** A playbook file. */
export const playbookSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'must be lowercase letters, digits and - (at most 63)' }),
  description: z.string().max(500).optional(),
  match: z.array(z.string()).min(1)
    .describe('Alertmanager matchers, all of which one of the incident\'s alerts must satisfy: alertname="X", service=~"a|b".'),
  severity: z.enum(SEVERITIES).optional().describe('Set the incident to this severity when the playbook starts.'),
  steps: z.array(step).min(1).max(50),
}).strict();

type Common = { [K in keyof typeof common]: z.output<(typeof common)[K]> };
/** A validated step. `with` is as written (templates not yet rendered). */
export type Step = Common & { action: (typeof ACTION_NAMES)[number]; with: Record<string, unknown> };
/** A validated playbook. */
export type PlaybookDefinition = Omit<z.output<typeof playbookSchema>, 'steps'> & { steps: Step[] };

/** The JSON Schema editors use to check and complete playbook files (written to playbooks/schema.json). */
export function playbookJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(playbookSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://github.com/firebreak/firebreak/playbooks/schema.json',
    title: 'firebreak playbook',
  };
}
