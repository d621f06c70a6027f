import { HttpError } from '../http/respond.js';
import { findIncident, incidentView } from '../incidents/queries.js';
import { verifyTimeline } from '../incidents/timeline.js';
import { incidentRef } from '../incidents/types.js';
import { incidentRuns } from '../runner/views.js';
import type { ApiDeps } from './deps.js';
import { allow } from './guard.js';
import {
  evidenceBody, lastEventId, incidentAlerts, incidentApprovals, incidentEvents, incidentEventsAfter, incidentEvidence, incidentPostmortem, listIncidents, postmortemChart,
} from './incidents-sql.js';
import { route, type Route } from './router.js';
import { chartParams, cursorOf, evidenceParams, incidentListQuery, refParams, timelineQuery } from './schemas.js';

const ALERTS_MAX = 500;
const TIMELINE_MAX = 500;

/** The incident a path names, or 404. */
export async function incidentOr404(deps: ApiDeps, number: number) {
  const found = await findIncident(deps.db, { number });
  if (!found) throw new HttpError(404, 'not_found', `there is no incident ${incidentRef(number)}`);
  return found;
}

/** The read routes: incidents, one incident with everything recorded about it, evidence bodies, postmortems. */
export function incidentReadRoutes(deps: ApiDeps): Route[] {
  return [
    route({
      method: 'GET', path: '/incidents', summary: 'Incidents, newest first, filtered; `next` is the cursor of the following page',
      query: incidentListQuery,
      async handle({ caller, query, req }) {
        await allow(deps, caller, 'list', { place: null, write: false, requestKey: deps.requestKey(req, caller) });
        const { q, cursor, ...filter } = query;
        // Read first: a live view streams from here (`/events?after=`), so it misses nothing the list does not show.
        const since = await lastEventId(deps.db);
        const rows = await listIncidents(deps.db, { ...filter, text: q, beforeId: cursor });
        const last = rows.at(-1);
        return {
          incidents: rows.map((i) => ({ ref: incidentRef(i.number), ...i })), next: rows.length === query.limit && last ? cursorOf(last.id) : null,
          lastEventId: since,
        };
      },
    }),
    route({
      method: 'GET', path: '/incidents/{ref}', summary: 'One incident: card facts, alerts, timeline (verified), runs and steps, approvals, evidence, postmortem',
      params: refParams,
      async handle({ caller, params, req }) {
        await allow(deps, caller, 'status', { place: { target: { number: params.ref } }, write: false, requestKey: deps.requestKey(req, caller) });
        const found = await incidentOr404(deps, params.ref);
        const [view, alerts, timeline, broken, runs, approvals, evidence, postmortem] = await Promise.all([
          incidentView(deps.db, found.id), incidentAlerts(deps.db, found.id, ALERTS_MAX), incidentEvents(deps.db, found.id, TIMELINE_MAX),
          verifyTimeline(deps.db, found.id), incidentRuns(deps.db, found.id, 50), incidentApprovals(deps.db, found.id),
          incidentEvidence(deps.db, found.id), incidentPostmortem(deps.db, found.id),
        ]);
        const base = `/api/v1/incidents/${incidentRef(found.number)}`;
        return {
          incident: { ref: incidentRef(found.number), ...view },
          alerts,
          timeline: { ...timeline, verified: broken === null, brokenAtSeq: broken },
          runs,
          approvals,
          evidence: evidence.map((e) => ({ ...e, download: `${base}/evidence/${e.id}` })),
          postmortem: postmortem && { ...postmortem, charts: postmortem.charts.map((c) => ({ ...c, png: `${base}/postmortem/charts/${c.position}` })) },
        };
      },
    }),
    route({
      method: 'GET', path: '/incidents/{ref}/timeline', summary: 'The whole timeline, oldest first, page by page (`next`: the `after` of the following page), and whether its hash chain verifies',
      params: refParams,
      query: timelineQuery,
      async handle({ caller, params, query, req }) {
        await allow(deps, caller, 'timeline', { place: { target: { number: params.ref } }, write: false, requestKey: deps.requestKey(req, caller) });
        const found = await incidentOr404(deps, params.ref);
        const [events, broken] = await Promise.all([incidentEventsAfter(deps.db, found.id, query.after ?? 0, query.limit), verifyTimeline(deps.db, found.id)]);
        const last = events.at(-1);
        return { events, next: events.length === query.limit && last ? last.seq : null, verified: broken === null, brokenAtSeq: broken };
      },
    }),
    route({
      method: 'GET', path: '/incidents/{ref}/evidence/{id}', summary: 'An evidence body, byte for byte; its SHA-256 in the Digest and X-Content-SHA256 headers',
      params: evidenceParams,
      async handle({ caller, params, req, res }) {
        await allow(deps, caller, 'steps', { place: { target: { number: params.ref } }, write: false, requestKey: deps.requestKey(req, caller) });
        const found = await incidentOr404(deps, params.ref);
        const e = await evidenceBody(deps.db, found.id, params.id);
        if (!e) throw new HttpError(404, 'not_found', `${incidentRef(found.number)} has no evidence ${params.id}`);
        res.writeHead(200, {
          // Evidence is what a step captured from elsewhere: never rendered by a browser as a page of ours.
          'content-type': /^text\/|json/.test(e.mediaType) ? `${e.mediaType.split(';')[0]}; charset=utf-8` : 'application/octet-stream',
          'content-disposition': `attachment; filename="evidence-${params.id}"`,
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'; sandbox",
          'x-content-sha256': e.sha256,
          'repr-digest': `sha-256=:${Buffer.from(e.sha256, 'hex').toString('base64')}:`,
          'content-length': e.body.length,
        });
        res.end(e.body);
        return undefined;
      },
    }),
    route({
      method: 'GET', path: '/incidents/{ref}/postmortem', summary: 'The postmortem draft: Markdown and its charts',
      params: refParams,
      async handle({ caller, params, req }) {
        await allow(deps, caller, 'status', { place: { target: { number: params.ref } }, write: false, requestKey: deps.requestKey(req, caller) });
        const found = await incidentOr404(deps, params.ref);
        const p = await incidentPostmortem(deps.db, found.id);
        if (!p) throw new HttpError(404, 'not_found', `${incidentRef(found.number)} has no postmortem draft yet: POST to this path to draft one`);
        const base = `/api/v1/incidents/${incidentRef(found.number)}`;
        return { ...p, charts: p.charts.map((c) => ({ ...c, png: `${base}/postmortem/charts/${c.position}` })) };
      },
    }),
    route({
      method: 'GET', path: '/incidents/{ref}/postmortem/charts/{position}', summary: 'One chart of the postmortem draft (PNG)',
      params: chartParams,
      async handle({ caller, params, req, res }) {
        await allow(deps, caller, 'status', { place: { target: { number: params.ref } }, write: false, requestKey: deps.requestKey(req, caller) });
        const found = await incidentOr404(deps, params.ref);
        const png = await postmortemChart(deps.db, found.id, params.position);
        if (!png) throw new HttpError(404, 'not_found', `${incidentRef(found.number)}'s postmortem has no chart ${params.position}`);
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length, 'x-content-type-options': 'nosniff' });
        res.end(png);
        return undefined;
      },
    }),
  ];
}
