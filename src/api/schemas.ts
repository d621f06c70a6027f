import { z } from 'zod';
import { INCIDENT_STATUSES, SEVERITIES } from '../incidents/types.js';
import { JOB_STATES } from '../queue/inspect-sql.js';

/** An incident as a path names it: `INC-12` or `12`. */
export const incidentRefSchema = z.string()
  .regex(/^(INC-)?[1-9]\d{0,9}$/i, { error: 'must be an incident reference like INC-12' })
  .transform((v) => Number(v.replace(/^INC-/i, '')))
  .meta({ description: 'INC-n, or n', example: 'INC-12' });

export const idSchema = z.string().regex(/^[1-9]\d{0,15}$/, { error: 'must be a positive whole number' }).transform(Number);

// A comma-separated list of allowed values, as a query parameter.
const listOf = <T extends string>(values: readonly [T, ...T[]], what: string) => z.string()
  .transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean))
  .pipe(z.array(z.enum(values, { error: `must be ${what}: ${values.join(', ')}` })).min(1, { error: `name at least one ${what}` }));

const time = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, like 2026-01-31T12:00:00Z' }).transform((v) => new Date(v));

/** An opaque cursor: the id the next page starts below. */
export const cursorSchema = z.string().regex(/^[A-Za-z0-9_-]{1,24}$/, { error: 'must be a cursor from an earlier answer\'s next' })
  .transform((v, ctx) => {
    const id = Number(Buffer.from(v, 'base64url').toString('utf8').replace(/^i/, ''));
    if (!Number.isSafeInteger(id) || id < 1) {
      ctx.addIssue({ code: 'custom', message: 'must be a cursor from an earlier answer\'s next' });
      return z.NEVER;
    }
    return id;
  });
export const cursorOf = (id: number): string => Buffer.from(`i${id}`, 'utf8').toString('base64url');

const limit = (max: number, fallback: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int({ error: 'must be a whole number' })
    .min(1, { error: 'must be at least 1' }).max(max, { error: `must be at most ${max}` }).default(fallback);

export const incidentListQuery = z.strictObject({
  status: listOf(INCIDENT_STATUSES, 'statuses').optional(),
  severity: listOf(SEVERITIES, 'severities').optional(),
  q: z.string().min(1).max(200, { error: 'must be at most 200 characters' }).optional().meta({ description: 'text in the title or in a label' }),
  since: time.optional(),
  until: time.optional(),
  cursor: cursorSchema.optional(),
  limit: limit(200, 50),
}, { error: (issue) => issue.code === 'unrecognized_keys' ? `unknown parameter ${issue.keys.join(', ')}` : undefined });

export const refParams = z.object({ ref: incidentRefSchema });
export const evidenceParams = z.object({ ref: incidentRefSchema, id: idSchema });
export const chartParams = z.object({ ref: incidentRefSchema, position: z.string().regex(/^\d{1,4}$/, { error: 'must be a chart position' }).transform(Number) });
export const approvalParams = z.object({ id: idSchema });
export const jobParams = z.object({ id: idSchema });

export const jobListQuery = z.strictObject({
  state: z.enum(JOB_STATES as [string, ...string[]], { error: `must be one of ${JOB_STATES.join(', ')}` }).default('failed'),
  kind: z.string().regex(/^[a-z0-9._-]{1,80}$/, { error: 'must be a job kind like slack.card' }).optional(),
  cursor: cursorSchema.optional(),
  limit: limit(500, 50),
}, { error: (issue) => issue.code === 'unrecognized_keys' ? `unknown parameter ${issue.keys.join(', ')}` : undefined });

export const timelineQuery = z.strictObject({
  after: z.string().regex(/^\d{1,9}$/, { error: 'must be a timeline seq from an earlier answer\'s next' }).transform(Number).optional()
    .meta({ description: 'the events after this seq (0 or absent: from the first)' }),
  limit: limit(1_000, 500),
}, { error: (issue) => issue.code === 'unrecognized_keys' ? `unknown parameter ${issue.keys.join(', ')}` : undefined });

export const eventsQuery = z.strictObject({
  incident: incidentRefSchema.optional(),
  after: z.string().regex(/^\d{1,15}$/, { error: 'must be a timeline event id' }).transform(Number).optional()
    .meta({ description: 'send the events after this id first (as Last-Event-ID does on a reconnection)' }),
}, { error: (issue) => issue.code === 'unrecognized_keys' ? `unknown parameter ${issue.keys.join(', ')}` : undefined });

const SLACK_USER = /^[UW][A-Z0-9]{2,}$/;

export const declareBody = z.strictObject({
  title: z.string({ error: 'is required' }).trim().min(1, { error: 'must not be empty' }).max(200, { error: 'must be at most 200 characters' }),
  severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }).default('sev3'),
});
export const emptyBody = z.strictObject({});
export const severityBody = z.strictObject({ severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }) });
export const commanderBody = z.strictObject({ user: z.string({ error: 'is required' }).regex(SLACK_USER, { error: 'must be a Slack user id (U…)' }) });
export const noteBody = z.strictObject({
  text: z.string({ error: 'is required' }).trim().min(1, { error: 'must not be empty' }).max(3000, { error: 'must be at most 3000 characters' }),
});
export const runBody = z.strictObject({ playbook: z.string({ error: 'is required' }).regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'must be a playbook name' }) });
export const linkBody = z.strictObject({ children: z.array(incidentRefSchema, { error: 'must be a list of incidents (like INC-7)' }).min(1, { error: 'must name at least one incident' }).max(500, { error: 'must name at most 500 incidents' }) });
export const pageBody = z.strictObject({ service: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'must be a PagerDuty service name' }).optional() });
