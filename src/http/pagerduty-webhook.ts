import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Db } from '../db/db.js';
import { changeIncident } from '../incidents/commands.js';
import type { StatusAction } from '../incidents/lifecycle.js';
import { incidentOfDedupKey } from '../incidents/pages-sql.js';
import { incidentRef } from '../incidents/types.js';
import type { Clock } from '../lib/clock.js';
import { describeError, ErrorCode, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { JobQueue } from '../queue/job.js';
import { readBody } from './body.js';
import { HttpError, sendJson } from './respond.js';

// A v3 webhook carries one event; 1 MiB is far above any.
const MAX_BYTES = 1024 * 1024;

/** The events that change a firebreak incident; the others are acknowledged and ignored. */
const STATUS_EVENTS: Readonly<Record<string, StatusAction>> = {
  'incident.acknowledged': 'acknowledge',
  'incident.resolved': 'resolve',
};

const webhookSchema = z.object({
  event: z.object({
    id: z.string().min(1).max(200),
    event_type: z.string().max(200),
    agent: z.object({ summary: z.string().optional() }).nullish(),
    data: z.object({ incident_key: z.string().nullish(), html_url: z.string().optional() }),
  }),
});

/**
 * Whether one of the `v1=` signatures (comma-separated: PagerDuty sends one per secret during a
 * rotation) is the HMAC-SHA256 of the raw body with one of our secrets. Constant-time comparisons.
 */
export function verifyPagerDutySignature(header: string | undefined, body: Buffer, secrets: readonly string[]): boolean {
  const given = (header ?? '').split(',').map((s) => s.trim()).filter((s) => s.startsWith('v1=')).map((s) => Buffer.from(s.slice(3), 'utf8'));
  return secrets.some((secret) => {
    const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('hex'), 'utf8');
    return given.some((g) => g.length === expected.length && timingSafeEqual(g, expected));
  });
}

/**
 * POST /webhooks/pagerduty: PagerDuty's v3 webhooks. Acknowledged and resolved incidents that
 * firebreak paged (found by incident_key, our dedup key) are acknowledged or resolved here too, once
 * per PagerDuty event id.
 */
export function createPagerDutyWebhookHandler(deps: { db: Db; queue: JobQueue; clock: Clock; logger: Logger; secrets: readonly string[] }) {
  const handle = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
    const body = await readBody(req, MAX_BYTES);
    if (!verifyPagerDutySignature(req.headers['x-pagerduty-signature'] as string | undefined, body, deps.secrets)) {
      throw new HttpError(401, 'bad_signature', 'X-PagerDuty-Signature is missing or matches no configured PAGERDUTY_WEBHOOK_SECRET');
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, 'malformed_json', `body is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = webhookSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new HttpError(400, 'invalid_payload', `${issue.path.join('.') || '(root)'}: ${issue.message}`, { field: issue.path.join('.') });
    }
    const { event } = parsed.data;
    const action = STATUS_EVENTS[event.event_type];
    if (!action) return { status: 'ignored', reason: `event type ${event.event_type} changes nothing here` };
    const key = event.data.incident_key;
    const incidentId = key ? await incidentOfDedupKey(deps.db, key) : null;
    if (incidentId === null) return { status: 'ignored', reason: 'not an incident firebreak paged' };
    const who = (event.agent?.summary ?? 'PagerDuty').slice(0, 80);
    const outcome = await changeIncident(deps.db, deps.queue, { id: incidentId }, { kind: 'status', action }, {
      actor: `pagerduty:${who}`, at: deps.clock.now(), requestKey: `pagerduty:${event.id}`,
    });
    if (outcome.outcome === 'not_found') return { status: 'ignored', reason: 'incident not found' };
    return { status: outcome.outcome, incident: incidentRef(outcome.incident.number), ...(outcome.outcome === 'refused' ? { reason: outcome.reason } : {}) };
  };

  return async function handlePagerDutyWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const answer = await handle(req);
      deps.logger.info({ ...answer }, 'pagerduty webhook');
      sendJson(res, 200, answer);
    } catch (err) {
      if (err instanceof HttpError) {
        deps.logger.warn({ error: err.code, reason: err.message }, 'pagerduty webhook refused');
        return sendJson(res, err.status, { error: err.code, message: err.message, ...err.extra });
      }
      deps.logger.error({ err: describeError(err) }, 'pagerduty webhook failed');
      const down = err instanceof FirebreakError && err.code === ErrorCode.DatabaseUnavailable;
      // PagerDuty retries failed deliveries: nothing is lost by a 5xx.
      sendJson(res, down ? 503 : 500, { error: down ? 'database_unavailable' : 'internal', message: down ? 'the database is unavailable; retry later' : 'internal error' });
    }
  };
}
