import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { REJECTED_BODY_BYTES, REJECTED_KEEP, storeRejectedWebhook } from '../../src/db/rejected-webhooks.js';
import { setIncidentStatus } from '../../src/incidents/incidents-sql.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { fixture, startTestApp, TOKEN, type TestApp } from '../support/app.js';
import { alerts, count, incidentId, incidents } from '../support/state.js';

for (const backend of backends()) {
  describe(`POST /webhooks/alertmanager over HTTP (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const rejected = async () =>
      (await database.db.query<{ reason: string; detail: string; body: Buffer; body_bytes: number; truncated: boolean }>(
        'SELECT reason, detail, body, body_bytes, truncated FROM rejected_webhooks ORDER BY id',
      )).rows;

    before(async () => {
      database = await backend.create();
      app = await startTestApp(database, { WEBHOOK_MAX_BYTES: String(1024 * 1024) });
    });
    after(async () => {
      await app.close();
      await database.close();
    });

    test('a missing or wrong bearer token gets 401 and stores nothing', async () => {
      const body = await fixture('alertmanager/firing-single.json');
      for (const token of [null, 'wrong-token', `${TOKEN}x`]) {
        const res = await app.postWebhook(body, { token });
        assert.equal(res.status, 401, String(token));
        assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="firebreak"');
        assert.deepEqual(await res.json(), { error: 'unauthorized', message: 'missing or wrong bearer token' });
      }
      assert.equal(await count(database.db, 'incidents'), 0);
      assert.equal(await count(database.db, 'rejected_webhooks'), 0, 'unauthenticated bodies are not kept');
    });

    test('a body over WEBHOOK_MAX_BYTES gets 413, by Content-Length and while streaming', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(1024 * 1024) });
      const res = await app.postWebhook(big);
      assert.equal(res.status, 413);
      assert.deepEqual(await res.json(), { error: 'payload_too_large', message: 'body exceeds WEBHOOK_MAX_BYTES (1048576 bytes)', maxBytes: 1048576 });

      // Chunked, with no Content-Length: refused once the count passes the limit.
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${app.url}/webhooks/alertmanager`, {
          method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        }, (r) => { r.resume(); resolve(r.statusCode!); });
        req.on('error', reject);
        for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
        req.end();
      });
      assert.equal(status, 413);
    });

    test('a body that is not JSON gets 400 or 415, and is kept for inspection', async () => {
      let res = await app.postWebhook('{"version": "4", oops', {});
      assert.equal(res.status, 400);
      const malformed = (await res.json()) as { error: string; message: string };
      assert.equal(malformed.error, 'malformed_json');
      assert.match(malformed.message, /^body is not valid JSON: /);

      res = await app.postWebhook('<alert/>', { contentType: 'text/xml' });
      assert.equal(res.status, 415);
      assert.deepEqual(await res.json(), { error: 'unsupported_media_type', message: 'content-type must be application/json, got text/xml' });

      const kept = await rejected();
      assert.deepEqual(kept.map((r) => [r.reason, r.body.toString()]), [
        ['malformed_json', '{"version": "4", oops'],
        ['unsupported_media_type', '<alert/>'],
      ]);
    });

    test('a schema violation gets 400 naming the field, and the exact body is kept', async () => {
      const body = JSON.parse(await fixture('alertmanager/firing-group.json'));
      body.alerts[1].startsAt = 'not-a-time';
      const text = JSON.stringify(body);
      const res = await app.postWebhook(text);
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        error: 'invalid_payload', message: 'alerts[1].startsAt: must be an RFC 3339 timestamp', field: 'alerts[1].startsAt',
      });
      const last = (await rejected()).at(-1)!;
      assert.equal(last.reason, 'invalid_payload');
      assert.equal(last.detail, 'alerts[1].startsAt: must be an RFC 3339 timestamp');
      assert.equal(last.body.toString(), text);
      assert.equal(await count(database.db, 'alerts'), 0, 'the valid alert of that body was not half-stored');
    });

    test('text Postgres cannot store (an escaped NUL, a lone surrogate) gets 400 naming the field, and is kept', async () => {
      const text = (await fixture('alertmanager/firing-group.json'))
        .replace('"alertname": "HighErrorRate"', '"alertname": "High\\u0000ErrorRate"');
      for (const [body, field] of [[text, 'alerts[0].labels.alertname'], [text.replace('\\u0000', '\\uDC00'), 'alerts[0].labels.alertname']]) {
        const res = await app.postWebhook(body!);
        assert.equal(res.status, 400);
        assert.deepEqual(await res.json(), {
          error: 'invalid_payload', message: `${field}: contains a NUL character or an unpaired surrogate`, field,
        });
        assert.equal((await rejected()).at(-1)!.body.toString(), body);
      }
      assert.equal(await count(database.db, 'alerts'), 0);
    });

    test('a value the database refuses (30 February) gets 400 and is kept, not a 5xx retried forever', async () => {
      const body = JSON.parse(await fixture('alertmanager/firing-single.json'));
      body.alerts[0].startsAt = '2026-02-30T00:00:00Z';
      const res = await app.postWebhook(JSON.stringify(body));
      assert.equal(res.status, 400);
      const answer = (await res.json()) as { error: string; message: string };
      assert.equal(answer.error, 'unstorable_payload');
      assert.match(answer.message, /^the database refused a value of this payload: .*out of range/);
      assert.equal((await rejected()).at(-1)!.reason, 'unstorable_payload');
      assert.equal(await count(database.db, 'incidents'), 0, 'nothing half-stored');
    });

    test('rejected bodies are bounded in size and count', async () => {
      const huge = Buffer.alloc(REJECTED_BODY_BYTES + 10, 0x61);
      await storeRejectedWebhook(database.db, { reason: 'test', detail: 'big', body: huge, remoteAddress: undefined, contentType: undefined });
      const big = (await rejected()).at(-1)!;
      assert.deepEqual([big.body.length, big.body_bytes, big.truncated], [REJECTED_BODY_BYTES, REJECTED_BODY_BYTES + 10, true]);
      for (let i = 0; i < REJECTED_KEEP + 5; i++) {
        await storeRejectedWebhook(database.db, { reason: 'test', detail: String(i), body: Buffer.from('x'), remoteAddress: undefined, contentType: undefined });
      }
      const kept = await rejected();
      assert.equal(kept.length, REJECTED_KEEP);
      assert.equal(kept.at(-1)!.detail, String(REJECTED_KEEP + 4), 'the newest are kept');
    });

    test('an acknowledged incident stays open when its alerts resolve; answers and logs say what happened', async () => {
      let res = await app.postWebhook(await fixture('alertmanager/firing-single.json'));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'accepted', incidents: ['INC-1'], alerts: { fired: 1, refired: 0, resolved: 0, repeat: 0 } });
      const id = await incidentId(database.db, 1);
      await database.db.transaction((tx) => setIncidentStatus(tx, app.queue, id, 'acknowledged', new Date()));
      res = await app.postWebhook(await fixture('alertmanager/resolved-single.json'));
      assert.equal(res.status, 200);
      assert.equal((await incidents(database.db))[0]!.status, 'acknowledged');
      assert.deepEqual((await alerts(database.db)).map((a) => a.status), ['resolved']);

      const lines = app.logs.lines().filter((l) => l.msg === 'webhook' && l.status === 200);
      assert.deepEqual(
        lines.map(({ groupKey, alerts: n, incident, opened, status }) => ({ groupKey, n, incident, opened, status })),
        [
          { groupKey: '{}:{alertname="DiskFillingUp", service="db"}', n: 1, incident: 'INC-1', opened: 'INC-1', status: 200 },
          { groupKey: '{}:{alertname="DiskFillingUp", service="db"}', n: 1, incident: 'INC-1', opened: undefined, status: 200 },
        ],
      );
      assert.ok(lines.every((l) => typeof l.ms === 'number'));
      assert.ok(!app.logs.text().includes(TOKEN), 'the token never reaches the logs');
    });

    test('with no token configured, a local Alertmanager is accepted and firebreak warned at start', async () => {
      const open = await startTestApp(database, { ALERTMANAGER_WEBHOOK_TOKEN: '' });
      try {
        const res = await open.postWebhook(await fixture('alertmanager/firing-group.json'), { token: null });
        assert.equal(res.status, 200);
        assert.ok(open.logs.lines().some((l) => l.level === 'warn' &&
          l.msg === 'ALERTMANAGER_WEBHOOK_TOKEN is not set: only webhooks from this host (loopback) are accepted'));
      } finally {
        await open.close();
      }
    });

    test('GET /metrics, /healthz and /readyz', async () => {
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      for (const line of [
        'firebreak_webhook_requests_total{code="401"} 3',
        'firebreak_webhook_requests_total{code="413"} 2',
        'firebreak_webhook_requests_total{code="415"} 1',
        'firebreak_webhook_requests_total{code="200"} 2',
        'firebreak_alerts_received_total{status="firing"} 1',
        'firebreak_alerts_received_total{status="resolved"} 1',
        'firebreak_rejected_webhooks_total{reason="invalid_payload"} 3',
        'firebreak_rejected_webhooks_total{reason="malformed_json"} 1',
        'firebreak_open_incidents{severity="sev3"} 1',
        'firebreak_open_incidents{severity="sev1"} 1',
        'firebreak_webhook_duration_seconds_count 13',
        'firebreak_rejected_webhooks_total{reason="unstorable_payload"} 1',
        'firebreak_process_cpu_seconds_total',
      ]) assert.ok(metrics.includes(line), `missing ${line}`);
      assert.deepEqual(await (await fetch(`${app.url}/healthz`)).json(), { status: 'ok' });
      assert.deepEqual(await (await fetch(`${app.url}/readyz`)).json(), { status: 'ready' });
      const wrong = await fetch(`${app.url}/webhooks/alertmanager`);
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get('allow'), 'POST');
      assert.equal((await fetch(`${app.url}/nope`)).status, 404);
    });
  });
}
