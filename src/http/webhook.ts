import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/db.js';
import { isDataException } from '../db/errors.js';
import { storeRejectedWebhook } from '../db/rejected-webhooks.js';
import { ingestNotification, type IntakeOptions } from '../incidents/intake.js';
import { incidentRef } from '../incidents/types.js';
import { parseNotification } from '../sources/alertmanager/notification.js';
import type { Notification, ParsedNotification } from '../sources/model.js';
import type { Clock } from '../lib/clock.js';
import { describeError, ErrorCode, FirebreakError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { checkWebhookAuth } from './auth.js';
import { readBody } from './body.js';
import { HttpError, sendJson } from './respond.js';

/** What the Alertmanager webhook handler is built from. */
export interface WebhookDeps extends IntakeOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  webhookToken: string | undefined;
  /** No token, and clients from anywhere accepted all the same (said explicitly). */
  webhookUnauthenticated: boolean;
  maxBytes: number;
  /** The source's parser (default: Alertmanager's) and the variable of its token, for messages. */
  parse?: (json: unknown, text: string) => ParsedNotification;
  tokenVariable?: string;
}

/**
 * POST /webhooks/alertmanager (and /webhooks/grafana, with Grafana's parser and token). Answers 2xx only once the notification is committed; 5xx when the
 * database cannot take it (Alertmanager retries those); 4xx for what can never succeed (it does
 * not retry those, so the body is kept in rejected_webhooks for an operator).
 */
export function createWebhookHandler(deps: WebhookDeps) {
  const { db, clock, logger, metrics } = deps;

  const reject = async (req: IncomingMessage, body: Buffer, reason: string, detail: string) => {
    metrics.rejectedWebhooks.inc({ reason });
    try {
      await storeRejectedWebhook(db, {
        reason, detail, body, remoteAddress: req.socket.remoteAddress, contentType: req.headers['content-type'],
      });
    } catch (err) {
      // The answer stays 4xx: the same body can never succeed, whatever the database's state.
      logger.error({ err: (err as Error).message, reason }, 'could not keep the rejected webhook body');
    }
  };

  const accept = async (req: IncomingMessage): Promise<{ status: number; body: unknown; log: Record<string, unknown> }> => {
    checkWebhookAuth(req, deps.webhookToken, deps.webhookUnauthenticated, deps.tokenVariable);
    const body = await readBody(req, deps.maxBytes);
    const contentType = req.headers['content-type'];
    if (contentType && !/^application\/(.+\+)?json\s*(;|$)/i.test(contentType)) {
      await reject(req, body, 'unsupported_media_type', contentType);
      throw new HttpError(415, 'unsupported_media_type', `content-type must be application/json, got ${contentType}`);
    }
    const text = body.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      const detail = (err as Error).message;
      await reject(req, body, 'malformed_json', detail);
      throw new HttpError(400, 'malformed_json', `body is not valid JSON: ${detail}`);
    }
    const parsed = (deps.parse ?? parseNotification)(json, text);
    if (!parsed.ok) {
      const { path, message } = parsed.problem;
      await reject(req, body, 'invalid_payload', `${path}: ${message}`);
      throw new HttpError(400, 'invalid_payload', `${path}: ${message}`, { field: path });
    }
    const n: Notification = parsed.value;
    let result;
    try {
      result = await ingestNotification(db, n, clock.now(), { queue: deps.queue, mayStartPlaybook: deps.mayStartPlaybook });
    } catch (err) {
      // A data exception (SQLSTATE class 22) means this body can never be stored: a 5xx would make
      // Alertmanager retry it forever. Refuse it and keep it, like any invalid payload.
      if (!isDataException(err)) throw err;
      const detail = (err as Error).message;
      await reject(req, body, 'unstorable_payload', detail);
      throw new HttpError(400, 'unstorable_payload', `the database refused a value of this payload: ${detail}`);
    }
    const firing = n.alerts.filter((a) => a.status === 'firing').length;
    metrics.alertsReceived.inc({ status: 'firing' }, firing);
    metrics.alertsReceived.inc({ status: 'resolved' }, n.alerts.length - firing);
    const incidents = result.incidentNumbers.map(incidentRef);
    return {
      status: 200,
      body: { status: 'accepted', incidents, alerts: result.counts },
      log: {
        groupKey: n.groupKey, alerts: n.alerts.length, incident: incidents.join(','), counts: result.counts,
        ...(result.opened ? { opened: incidentRef(result.opened) } : {}),
        ...(result.resolved.length ? { resolved: result.resolved.map(incidentRef) } : {}),
        ...(n.truncatedAlerts ? { truncatedAlerts: n.truncatedAlerts } : {}),
      },
    };
  };

  return async function handleWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let status: number;
    let log: Record<string, unknown> = {};
    try {
      const out = await accept(req);
      status = out.status;
      log = out.log;
      sendJson(res, status, out.body);
    } catch (err) {
      const answer = toHttpError(err);
      status = answer.status;
      log = { error: answer.code, reason: answer.message };
      if (status >= 500) logger.error({ err: describeError(err) }, 'webhook failed');
      sendJson(res, status, { error: answer.code, message: answer.message, ...answer.extra }, answer.headers);
      if (answer.headers.connection === 'close') req.resume(); // drain what the client still sends
    }
    const ms = performance.now() - started;
    metrics.webhookRequests.inc({ code: String(status) });
    metrics.webhookDuration.observe(ms / 1000);
    const line = { ...log, status, ms: Math.round(ms * 10) / 10 };
    if (status >= 500) logger.warn(line, 'webhook');
    else logger.info(line, 'webhook');
  };
}

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof FirebreakError && err.code === ErrorCode.DatabaseUnavailable) {
    return new HttpError(503, 'database_unavailable', 'the database is unavailable; retry later', {}, { 'retry-after': '5' });
  }
  return new HttpError(500, 'internal', 'internal error; the notification was not stored, retry later');
}
