import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { storeRejectedWebhook } from '../../src/db/rejected-webhooks.js';
import { verifyTimeline } from '../../src/incidents/timeline.js';
import { RETENTION_PRUNE } from '../../src/retention/jobs.js';
import { insertEvidence } from '../../src/runner/evidence.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { alertBody } from '../support/playbooks.js';
import { incidentId, openJobs } from '../support/state.js';
import { eventually } from '../support/wait.js';

const RETAIN = {
  RETAIN_PROCESSED_REQUESTS_HOURS: '2', RETAIN_REJECTED_WEBHOOKS_DAYS: '7', RETAIN_EVIDENCE_DAYS: '30', RETAIN_POSTMORTEM_DAYS: '90',
};

test('RETAIN_* are read as ages, and a bad one is named', () => {
  const c = loadConfig(RETAIN);
  assert.deepEqual(c.retention, {
    processedRequestsMs: 2 * 3_600_000, rejectedWebhooksMs: 7 * 86_400_000, evidenceBodiesMs: 30 * 86_400_000, postmortemsMs: 90 * 86_400_000,
  });
  assert.deepEqual(loadConfig({}).retention, {
    processedRequestsMs: 24 * 3_600_000, rejectedWebhooksMs: 30 * 86_400_000, evidenceBodiesMs: 180 * 86_400_000, postmortemsMs: 365 * 86_400_000,
  });
  assert.throws(() => loadConfig({ RETAIN_EVIDENCE_DAYS: '0', RETAIN_POSTMORTEM_DAYS: 'a year' }), (err: Error) =>
    /RETAIN_EVIDENCE_DAYS: .*1/.test(err.message) && /RETAIN_POSTMORTEM_DAYS/.test(err.message));
});

for (const backend of backends()) {
  describe(`retention: the housekeeping job prunes what is older than its setting, and nothing else (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const db = () => database.db;

    before(async () => {
      database = await backend.create();
      app = await startTestApp(database, RETAIN);
    });
    after(async () => {
      await app.close();
      await database.close();
    });

    /** An incident opened by a webhook; resolved `resolvedDaysAgo` days ago (by its alert resolving), or left open. */
    async function incident(name: string, resolvedDaysAgo?: number): Promise<number> {
      const labels = { alertname: name, service: 'retention' };
      const firing = alertBody(labels);
      const groupKey = (JSON.parse(firing) as { groupKey: string }).groupKey;
      const res = await app.postWebhook(firing);
      const number = Number(((await res.json()) as { incidents: string[] }).incidents[0]!.slice(4));
      const id = await incidentId(db(), number);
      if (resolvedDaysAgo !== undefined) {
        assert.equal((await app.postWebhook(alertBody(labels, 'resolved', groupKey))).status, 200);
        await db().query(`UPDATE incidents SET resolved_at = now() - $2 * interval '1 day' WHERE id = $1 AND status = 'resolved'`, [id, resolvedDaysAgo]);
      }
      // The postmortem draft queued when it resolved is written first (it replaces the charts).
      await eventually('the jobs queued by the incident to be done', async () => (await openJobs(db())) === 0, 20_000);
      await insertEvidence(db(), {
        incidentId: id, stepRunId: null, kind: 'step.output', mediaType: 'text/plain', body: Buffer.from(`output of ${name}`),
        sha256: `sha-${name}`, size: 12, originalSize: 12, truncated: false, redactions: 0,
      });
      await db().query(`INSERT INTO postmortems (incident_id, markdown, sha256, generated_at, requested_by) VALUES ($1, $2, 'x', now(), 'U1')
                        ON CONFLICT (incident_id) DO NOTHING`, [id, `# ${name}`]);
      await db().query(`INSERT INTO postmortem_charts (incident_id, position, title, png) VALUES ($1, 1, 'chart', '\\x89504e47'::bytea)
                        ON CONFLICT DO NOTHING`, [id]);
      return id;
    }

    async function prune(): Promise<void> {
      const { rows } = await db().query<{ id: number }>('SELECT coalesce(max(id), 0) AS id FROM jobs');
      await db().transaction((tx) => app.queue.enqueue(tx, RETENTION_PRUNE.of({})));
      await eventually('the retention job to be done', async () => {
        const done = await db().query<{ n: number }>(
          `SELECT count(*)::int AS n FROM jobs WHERE kind = 'retention.prune' AND id > $1 AND done_at IS NOT NULL`, [rows[0]!.id]);
        return done.rows[0]!.n === 1;
      }, 20_000);
    }

    test('older rows go, younger stay, evidence keeps its hash, timelines are untouched and still verify', async () => {
      const longOver = await incident('LongOver', 100);   // past both the evidence (30) and postmortem (90) ages
      const over60 = await incident('Over60Days', 60);     // past the evidence age only
      const recent = await incident('RecentlyOver', 10);   // within both
      const open = await incident('StillOpen');            // open: never pruned, however old
      await db().query(`UPDATE incidents SET opened_at = now() - interval '400 days' WHERE id = $1`, [open]);
      await db().query(`INSERT INTO processed_requests (key, received_at) VALUES ('old', now() - interval '3 hours'), ('young', now() - interval '1 hour')`);
      for (const detail of ['old', 'young']) {
        await storeRejectedWebhook(db(), { reason: 'invalid_json', detail, remoteAddress: '127.0.0.1', contentType: 'application/json', body: Buffer.from('{') });
      }
      await db().query(`UPDATE rejected_webhooks SET received_at = now() - interval '8 days' WHERE detail = 'old'`);
      await db().query(`UPDATE rejected_webhooks SET received_at = now() - interval '6 days' WHERE detail = 'young'`);
      const events = async () => (await db().query<{ incident_id: number; n: number }>(
        'SELECT incident_id, count(*)::int AS n FROM timeline_events GROUP BY incident_id ORDER BY incident_id')).rows;
      const eventsBefore = await events();
      assert.ok(eventsBefore.length >= 4);

      await prune();

      assert.deepEqual((await db().query<{ key: string }>('SELECT key FROM processed_requests ORDER BY key')).rows.map((r) => r.key), ['young']);
      assert.deepEqual((await db().query<{ detail: string }>('SELECT detail FROM rejected_webhooks ORDER BY id')).rows.map((r) => r.detail), ['young']);
      const evidence = (await db().query<{ incident_id: number; body: Buffer; sha256: string; pruned: boolean }>(
        'SELECT incident_id, body, sha256, pruned_at IS NOT NULL AS pruned FROM evidence ORDER BY incident_id')).rows;
      assert.deepEqual(evidence.map((e) => [e.incident_id, e.body.length > 0, e.pruned, e.sha256]), [
        [longOver, false, true, 'sha-LongOver'],
        [over60, false, true, 'sha-Over60Days'],
        [recent, true, false, 'sha-RecentlyOver'],
        [open, true, false, 'sha-StillOpen'],
      ]);
      const kept = async (table: string) => (await db().query<{ incident_id: number }>(`SELECT DISTINCT incident_id FROM ${table} ORDER BY incident_id`)).rows.map((r) => r.incident_id);
      assert.deepEqual(await kept('postmortems'), [over60, recent, open]);
      assert.deepEqual(await kept('postmortem_charts'), [over60, recent, open]);
      assert.deepEqual((await db().query<{ id: number }>('SELECT id FROM incidents ORDER BY id')).rows.map((r) => r.id), [longOver, over60, recent, open],
        'incidents themselves stay');

      assert.deepEqual(await events(), eventsBefore, 'no timeline event is removed or added');
      for (const id of [longOver, over60, recent, open]) assert.equal(await verifyTimeline(db(), id), null, `incident ${id}'s chain verifies`);

      // A second pass finds nothing more: pruning is repeatable.
      const bodies = (await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM evidence WHERE pruned_at IS NOT NULL`)).rows[0]!.n;
      await prune();
      assert.equal((await db().query<{ n: number }>(`SELECT count(*)::int AS n FROM evidence WHERE pruned_at IS NOT NULL`)).rows[0]!.n, bodies);
      assert.deepEqual(await kept('postmortems'), [over60, recent, open]);
      const log = app.logs.lines().filter((l) => l.msg === 'housekeeping: old rows pruned');
      assert.equal(log.length, 2);
      assert.deepEqual([log[0]!.processedRequests, log[0]!.rejectedWebhooks, log[0]!.evidenceBodies, log[0]!.postmortems], [1, 1, 2, 1]);
    });
  });
}
