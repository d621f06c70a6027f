import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import type { Db } from '../../src/db/db.js';
import { createPgDb } from '../../src/db/pg.js';
import { sqlStateOf } from '../../src/db/errors.js';
import { createLogger } from '../../src/lib/logger.js';
import { NEEDS_POSTGRES, postgresBackend } from '../support/databases.js';
import { fixture, metricValue, slackEnv, startTestApp } from '../support/app.js';
import { FakeSlack } from '../support/fake-slack.js';
import { postSlack, slashCommandBody } from '../support/slack-requests.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { alerts, count, incidents, timeline } from '../support/state.js';
import { eventually } from '../support/wait.js';

/** A test database, and a Db that reaches it through a TCP proxy the test can cut. */
async function behindProxy() {
  const database = await postgresBackend()!.create();
  const url = new URL(database.url!);
  const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
  url.host = `127.0.0.1:${proxy.port}`;
  return { database, proxy, viaProxy: createPgDb({ url: url.toString(), logger: createLogger('silent') }) };
}

/** The types of the protocol messages a client sent (after start-up): 'Q' query, 'P' parse, 'E' execute… */
function messageTypes(bytes: Buffer): string {
  let types = '';
  for (let i = 0; i + 5 <= bytes.length; i += 1 + bytes.readInt32BE(i + 1)) types += String.fromCharCode(bytes[i]!);
  return types;
}

/** A test database and a Db of one pooled connection to it, both closed after `fn`. */
async function onOneConnection(fn: (db: Db) => Promise<void>) {
  const database = await postgresBackend()!.create();
  const db = createPgDb({ url: database.url!, logger: createLogger('silent'), max: 1 });
  try {
    await fn(db);
  } finally {
    await db.close();
    await database.close();
  }
}

describe('on a real Postgres shared by concurrent requests', () => {
  test('the same group delivered 20 times at once gives one incident, and one card', { skip: NEEDS_POSTGRES }, async () => {
    const database = await postgresBackend()!.create();
    const slack = await FakeSlack.start();
    const app = await startTestApp(database, slackEnv(slack.apiUrl));
    try {
      const body = await fixture('alertmanager/firing-group.json');
      const answers = await Promise.all(Array.from({ length: 20 }, () => app.postWebhook(body)));
      assert.deepEqual(answers.map((r) => r.status), Array(20).fill(200));
      assert.equal((await incidents(database.db)).length, 1);
      const stored = await alerts(database.db);
      assert.equal(stored.length, 2);
      assert.equal(stored.reduce((n, a) => n + a.times_received, 0), 40);
      assert.deepEqual((await timeline(database.db, 1)).map((e) => e.kind), ['incident.opened', 'alerts.fired']);
      // One incident.opened job, run once: one card.
      await slack.waitFor('the card', () => slack.ok('chat.postMessage').length === 1);
      await eventually('the opening job to be done', async () => (await metricValue(app, 'firebreak_job_runs_total', { kind: 'incident.opened', outcome: 'done' })) === 1);
      assert.equal(await count(database.db, "jobs WHERE kind = 'incident.opened'"), 1);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(slack.ok('chat.postMessage').length, 1);
    } finally {
      await app.close();
      await slack.close();
      await database.close();
    }
  });

  test("an alert another group's notification inserts first is not inserted twice: the intake runs again and counts a repeat", { skip: NEEDS_POSTGRES }, async () => {
    const database = await postgresBackend()!.create();
    const app = await startTestApp(database);
    const other = new pg.Client({ connectionString: database.url!, application_name: 'other-group' });
    await other.connect();
    try {
      assert.equal((await app.postWebhook(await fixture('alertmanager/firing-single.json'))).status, 200); // INC-1
      // Another group's notification, still in its transaction, has inserted the first alert of
      // firing-group.json into INC-1.
      await other.query('BEGIN');
      await other.query(
        `INSERT INTO alerts (incident_id, fingerprint, starts_at, ends_at, status, alertname, labels, annotations, first_seen_at, last_seen_at)
         SELECT id, '7dedf9c618355572', '2026-11-21T06:57:15.457695482Z', '0001-01-01T00:00:00Z', 'firing', 'HighErrorRate',
                '{"alertname": "HighErrorRate"}', '{}', now(), now()
           FROM incidents WHERE number = 1`);
      const answer = app.postWebhook(await fixture('alertmanager/firing-group.json'));
      // firebreak read before that insert was committed, so it inserts the alert too, and waits on it.
      await eventually('the intake to wait for the other insert', async () => (await database.db.query<{ n: number }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'firebreak' AND wait_event_type = 'Lock'")).rows[0]!.n > 0);
      await other.query('COMMIT');

      const res = await answer;
      // The first attempt's incident number was spent on its rolled-back INSERT: the new incident is INC-3.
      assert.deepEqual(await res.json(), { status: 'accepted', incidents: ['INC-3', 'INC-1'], alerts: { fired: 1, refired: 0, resolved: 0, repeat: 1 } });
      assert.deepEqual((await alerts(database.db)).map(({ fingerprint, incident, times_received }) => [fingerprint, incident, times_received]), [
        ['7dedf9c618355572', 1, 2],
        ['db0ad9e2af2646ea', 1, 1],
        ['117a4c79188d9f29', 3, 1],
      ]);
      assert.deepEqual((await timeline(database.db, 3)).map((e) => [e.kind, e.summary]), [
        ['incident.opened', 'INC-3 opened: HighErrorRate on checkout (sev1)'],
        ['alerts.fired', 'Alert firing: HighErrorRate (namespace=prod, pod=checkout-7d9f-def)'],
      ]);
      assert.deepEqual((await timeline(database.db, 1)).map((e) => e.kind), ['incident.opened', 'alerts.fired']);
    } finally {
      await other.end();
      await app.close();
      await database.close();
    }
  });

  test('a planOnce transaction reuses one plan, and leaves the pooled connection as it was', { skip: NEEDS_POSTGRES }, async () => {
    await onOneConnection(async (db) => {
      const lookup = 'SELECT id FROM incidents WHERE group_key = $1';
      const plans = async () => (await db.query<{ generic_plans: number; custom_plans: number }>(
        'SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1', [lookup])).rows[0];
      for (const key of ['a', 'b', 'c']) {
        const mode = await db.transaction(async (tx) => {
          await tx.query(lookup, [key]);
          return (await tx.query<{ mode: string }>("SELECT current_setting('plan_cache_mode') AS mode")).rows[0]!.mode;
        }, { planOnce: true });
        assert.equal(mode, 'force_generic_plan');
      }
      assert.deepEqual(await plans(), { generic_plans: 3, custom_plans: 0 });
      // Outside such a transaction, the same connection is back to Postgres's default choice.
      assert.equal((await db.query<{ mode: string }>("SELECT current_setting('plan_cache_mode') AS mode")).rows[0]!.mode, 'auto');
      await db.query(lookup, ['d']);
      assert.deepEqual(await plans(), { generic_plans: 3, custom_plans: 1 });
    });
  });

  test('every advisory lock is taken by one statement, prepared once per connection', { skip: NEEDS_POSTGRES }, async () => {
    await onOneConnection(async (db) => {
      for (const key of [1, 2, 3]) await db.transaction(async (tx) => tx.query('SELECT $1::int', [key]), { lock: [7, key] });
      const { rows } = await db.query<{ statement: string }>(
        "SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%pg_advisory_xact_lock%'");
      assert.deepEqual(rows.map((r) => r.statement), ['SELECT pg_advisory_xact_lock($1::int, $2::int)']);
    });
  });

  test('a planOnce transaction never JIT-compiles, whatever its plan is costed at', { skip: NEEDS_POSTGRES }, async () => {
    // A large alerts table Postgres has not analyzed yet costs the intake's read above
    // jit_above_cost; JIT then spent ~12 ms compiling it on every webhook (2 → 14.7 ms of Postgres
    // CPU each, measured at 1.3 million alerts). jit_above_cost = 0 stands in for that table here.
    await onOneConnection(async (db) => {
      const explain = (options?: { planOnce: boolean }) => db.transaction(async (tx) => {
        await tx.exec('SET LOCAL jit_above_cost = 0');
        const { rows } = await tx.query<{ 'QUERY PLAN': unknown }>(
          'EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM incidents WHERE group_key = $1', ['a']);
        return JSON.stringify(rows[0]!['QUERY PLAN']);
      }, options);
      assert.equal((await db.query<{ ok: boolean }>('SELECT pg_jit_available() AS ok')).rows[0]!.ok, true, 'this Postgres has JIT');
      assert.match(await explain(), /"JIT"/);
      assert.doesNotMatch(await explain({ planOnce: true }), /"JIT"/);
      assert.equal((await db.query<{ jit: string }>("SELECT current_setting('jit') AS jit")).rows[0]!.jit, 'on', 'the pooled connection is as it was');
    });
  });

  test("a transaction's first statement is sent with its BEGIN, before Postgres has answered", { skip: NEEDS_POSTGRES }, async () => {
    const { database, proxy, viaProxy } = await behindProxy();
    try {
      await viaProxy.query('SELECT 1'); // the pool's connection is open and idle
      // Postgres's answers are held until the client has sent two Executes (the lock's and the
      // statement's) after BEGIN's Query: a client that waited for an answer would never send
      // them, and the hold would time out.
      const released = proxy.holdAnswers((sent) => /Q.*E.*E/.test(messageTypes(sent)), 5_000);
      const locks = await viaProxy.transaction(async (tx) => (await tx.query<{ n: number }>(
        "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND $1", [true])).rows[0]!.n,
      { lock: [7, 8] });
      assert.equal(await released, 'released by the client');
      assert.equal(locks, 1, 'the statement ran after BEGIN had taken the lock');
    } finally {
      await viaProxy.close();
      await proxy.close();
      await database.close();
    }
  });

  test('a lock that cannot be had fails the transaction with its own error, and keeps none of its statements', { skip: NEEDS_POSTGRES }, async () => {
    const database = await postgresBackend()!.create();
    const url = new URL(database.url!);
    url.searchParams.set('options', '-c lock_timeout=200');
    const impatient = createPgDb({ url: url.toString(), logger: createLogger('silent'), max: 1 });
    const holder = createPgDb({ url: database.url!, logger: createLogger('silent'), max: 1 });
    try {
      await holder.transaction(async (tx) => {
        await tx.query('SELECT 1'); // answered once BEGIN has taken the lock
        await assert.rejects(
          impatient.transaction(async (t) => {
            await t.query("INSERT INTO rejected_webhooks (reason, detail, body, body_bytes, truncated) VALUES ('test', $1, '', 0, false)", ['kept?']);
          }, { lock: [7, 8] }),
          (err: Error) => sqlStateOf(err) === '55P03' && /lock timeout/.test(err.message),
        );
      }, { lock: [7, 8] });
      assert.equal(await count(database.db, 'rejected_webhooks'), 0);
    } finally {
      await impatient.close();
      await holder.close();
      await database.close();
    }
  });

  test('a database outage answers 503, and the redelivery afterwards loses nothing', { skip: NEEDS_POSTGRES }, async () => {
    const { database, proxy, viaProxy } = await behindProxy();
    const app = await startTestApp({ db: viaProxy, close: async () => {} });
    const post = async (name: string) => app.postWebhook(await fixture(`alertmanager/${name}.json`));
    try {
      assert.equal((await post('firing-group')).status, 200);

      proxy.down();
      for (const name of ['partial-resolve', 'storm-2000']) {
        const res = await post(name);
        assert.equal(res.status, 503, name);
        assert.equal(res.headers.get('retry-after'), '5');
        assert.deepEqual(await res.json(), { error: 'database_unavailable', message: 'the database is unavailable; retry later' });
      }
      const ready = await fetch(`${app.url}/readyz`);
      assert.equal(ready.status, 503);
      // The database's words go to the log only.
      assert.deepEqual(await ready.json(), { status: 'not ready', reason: 'database unavailable' });
      const logged = app.logs.lines().find((l) => l.msg === 'not ready: the database cannot answer');
      assert.ok(logged && String(logged.err).length > 0, 'the reason is logged');
      const scrape = await fetch(`${app.url}/metrics`);
      assert.equal(scrape.status, 200, 'metrics still answer while the database is down');
      const scraped = await scrape.text();
      assert.ok(!scraped.includes('firebreak_open_incidents{'));
      assert.match(scraped, /^firebreak_database_up 0$/m, 'the database_up gauge says the outage');

      proxy.up();
      // Alertmanager retries the 5xx deliveries.
      for (const name of ['partial-resolve', 'storm-2000']) assert.equal((await post(name)).status, 200, name);
      assert.deepEqual((await incidents(database.db)).map((i) => [i.number, i.title, i.status]), [
        [1, 'HighErrorRate on checkout', 'triggered'],
        [2, 'PodCrashLooping on search', 'triggered'],
      ]);
      const stored = await alerts(database.db);
      assert.equal(stored.length, 2002);
      assert.deepEqual(stored.filter((a) => a.incident === 1).map((a) => [a.fingerprint, a.status]), [
        ['117a4c79188d9f29', 'firing'],
        ['7dedf9c618355572', 'resolved'],
      ]);
      assert.equal((await fetch(`${app.url}/readyz`)).status, 200);
      const metrics = await (await fetch(`${app.url}/metrics`)).text();
      assert.ok(metrics.includes('firebreak_webhook_requests_total{code="503"} 2'));
      assert.match(metrics, /^firebreak_database_up 1$/m);
    } finally {
      await app.close();
      await viaProxy.close();
      await proxy.close();
      await database.close();
    }
  });

  test('a database outage during /incident: a clear ephemeral answer, nothing half done, and it works once the database is back', { skip: NEEDS_POSTGRES }, async () => {
    const { database, proxy, viaProxy } = await behindProxy();
    const slack = await FakeSlack.start();
    const app = await startTestApp({ db: viaProxy, close: async () => {} }, slackEnv(slack.apiUrl));
    const port = Number(new URL(slack.url).port);
    const declare = async (trigger: string) => {
      const body = slashCommandBody({ text: 'declare Payments down sev1', channel_id: 'C0GENERAL', trigger_id: trigger }, port);
      const res = await postSlack(app.url, body);
      assert.equal(res.status, 200);
      return ((await res.json()) as { response_type: string; text: string });
    };
    try {
      proxy.down();
      assert.deepEqual(await declare('t-1'), {
        response_type: 'ephemeral',
        text: ':warning: firebreak cannot reach its database right now, so nothing was changed. Try again in a minute.',
      });
      proxy.up();
      assert.equal(await count(database.db, 'incidents'), 0);
      assert.equal(await count(database.db, 'processed_requests'), 0, 'the failed request is not remembered as handled');
      assert.match((await declare('t-1')).text, /declared \*INC-1\* \(sev1\): Payments down/);
      await slack.waitFor('the card', () => slack.ok('chat.postMessage').length === 1);
    } finally {
      await app.close();
      await slack.close();
      await viaProxy.close();
      await proxy.close();
      await database.close();
    }
  });
});
