import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { backends, type TestDatabase } from '../support/databases.js';
import { fixture, startTestApp, type TestApp } from '../support/app.js';
import { alerts, count, incidents, timeline } from '../support/state.js';

const REAL_ORDER = ['firing-single', 'firing-group', 'partial-resolve', 'resolved-single', 'resolved-group', 'storm-2000'];

for (const backend of backends()) {
  describe(`intake of real Alertmanager traffic (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    const post = async (name: string) => {
      const res = await app.postWebhook(await fixture(`alertmanager/${name}.json`));
      assert.equal(res.status, 200, `${name}: ${await res.clone().text()}`);
      return (await res.json()) as { incidents: string[]; alerts: { fired: number; refired: number; resolved: number; repeat: number } };
    };

    before(async () => {
      database = await backend.create();
      app = await startTestApp(database);
    });
    after(async () => {
      await app.close();
      await database.close();
    });

    test('the fixtures replayed in their real order give the expected incidents, alerts and timelines', async () => {
      // Slack is not configured here: firebreak says so once, and everything else runs.
      assert.deepEqual(app.logs.lines().filter((l) => String(l.msg).startsWith('Slack is')).map((l) => l.msg),
        ['Slack is off (SLACK_BOT_TOKEN unset): incidents are recorded but not posted']);
      const answers = [];
      for (const name of REAL_ORDER) answers.push(await post(name));
      assert.deepEqual(answers.map((a) => a.incidents), [['INC-1'], ['INC-2'], ['INC-2'], ['INC-1'], ['INC-2'], ['INC-3']]);

      const db = database.db;
      assert.deepEqual(
        (await incidents(db)).map(({ number, title, severity, status, previous }) => ({ number, title, severity, status, previous })),
        [
          { number: 1, title: 'DiskFillingUp on db', severity: 'sev3', status: 'resolved', previous: null },
          { number: 2, title: 'HighErrorRate on checkout', severity: 'sev1', status: 'resolved', previous: null },
          { number: 3, title: 'PodCrashLooping on search', severity: 'sev1', status: 'triggered', previous: null },
        ],
      );
      const stored = await alerts(db);
      assert.equal(stored.length, 2003, 'the restamped resolve of 7dedf9c618355572 must not add a row');
      assert.deepEqual(
        stored.filter((a) => a.incident < 3).map(({ fingerprint, status, incident, times_received }) => ({ fingerprint, status, incident, times_received })),
        [
          { fingerprint: 'db0ad9e2af2646ea', status: 'resolved', incident: 1, times_received: 2 },
          { fingerprint: '117a4c79188d9f29', status: 'resolved', incident: 2, times_received: 3 },
          { fingerprint: '7dedf9c618355572', status: 'resolved', incident: 2, times_received: 2 },
        ],
      );
      assert.ok(stored.filter((a) => a.incident === 3).every((a) => a.status === 'firing'));

      const inc2 = await timeline(db, 2);
      assert.deepEqual(inc2.map((e) => [e.seq, e.kind, e.actor, e.summary]), [
        [1, 'incident.opened', 'alertmanager', 'INC-2 opened: HighErrorRate on checkout (sev1)'],
        [2, 'alerts.fired', 'alertmanager', '2 alerts firing: HighErrorRate'],
        [3, 'alerts.resolved', 'alertmanager', 'Alert resolved: HighErrorRate (namespace=prod, pod=checkout-7d9f-abc)'],
        [4, 'alerts.resolved', 'alertmanager', 'Alert resolved: HighErrorRate (namespace=prod, pod=checkout-7d9f-def)'],
        [5, 'alerts.all_resolved', 'alertmanager', 'All alerts of INC-2 resolved'],
        [6, 'incident.status_changed', 'alertmanager', 'INC-2 resolved by itself: all alerts resolved and nobody had acknowledged it'],
      ]);
      // partial-resolve.json restamped the resolved alert's startsAt (06:57:15Z): the event names
      // the alert it resolved, which started at 06:57:15.457695482Z (kept to the microsecond).
      assert.deepEqual(inc2[2]!.data.alerts, [{ startsAt: '2026-11-21T06:57:15.457695Z', fingerprints: ['7dedf9c618355572'] }]);
      assert.deepEqual(inc2[3]!.data.alerts, [{ startsAt: '2026-11-21T06:57:15.457695482Z', fingerprints: ['117a4c79188d9f29'] }]);
      const storm = await timeline(db, 3);
      assert.deepEqual(storm.map((e) => e.kind), ['incident.opened', 'alerts.fired']);
      assert.equal(storm[1]!.summary, '2000 alerts firing: PodCrashLooping');
      assert.equal(storm[1]!.data.count, 2000);
      // It names its first 50 alerts by identity, fingerprints grouped by startsAt; their labels
      // are in the alerts table.
      const sent = (JSON.parse(await fixture('alertmanager/storm-2000.json')) as { alerts: { fingerprint: string; startsAt: string }[] }).alerts;
      assert.deepEqual(storm[1]!.data.alerts, [{ startsAt: sent[0]!.startsAt, fingerprints: sent.slice(0, 50).map((a) => a.fingerprint) }]);
      assert.ok(sent.every((a) => a.startsAt === sent[0]!.startsAt), 'the storm\'s alerts share one startsAt');
      // Slack and PagerDuty are off and no playbook is loaded: none of the jobs they would run (the
      // opening jobs, card updates, PagerDuty syncs, playbook matching) is even queued; a resolved
      // incident still has its steps cancelled and its postmortem drafted.
      const { rows } = await db.query<{ kind: string; n: number }>('SELECT kind, count(*)::int AS n FROM jobs GROUP BY kind ORDER BY kind');
      assert.deepEqual(rows, [{ kind: 'incident.resolved', n: 2 }, { kind: 'postmortem.draft', n: 2 }]);
    });

    test('replaying every fixture again changes nothing but counters', async () => {
      const db = database.db;
      const before = {
        incidents: (await incidents(db)).map(({ notifications: _, ...rest }) => rest),
        alerts: (await alerts(db)).map(({ times_received: _, ...rest }) => rest),
        timeline: await count(db, 'timeline_events'),
        jobs: await count(db, 'jobs'),
        received: (await alerts(db)).reduce((sum, a) => sum + a.times_received, 0),
      };
      for (const name of REAL_ORDER) {
        const answer = await post(name);
        assert.equal(answer.alerts.fired + answer.alerts.refired + answer.alerts.resolved, 0, `${name} changed state: ${JSON.stringify(answer.alerts)}`);
      }
      assert.deepEqual((await incidents(db)).map(({ notifications: _, ...rest }) => rest), before.incidents);
      assert.deepEqual((await alerts(db)).map(({ times_received: _, ...rest }) => rest), before.alerts);
      assert.equal(await count(db, 'timeline_events'), before.timeline);
      assert.equal(await count(db, 'jobs'), before.jobs);
      // Every alert of every replayed notification counted once more: 1 + 2 + 2 + 1 + 1 + 2000.
      assert.equal((await alerts(db)).reduce((sum, a) => sum + a.times_received, 0), before.received + 2007);
    });

    test('the group firing again after its incident resolved opens a new incident that names the earlier', async () => {
      const refire = JSON.parse(await fixture('alertmanager/firing-single.json'));
      refire.alerts[0].startsAt = '2026-11-21T09:00:00.000000001Z';
      const answer = await app.postWebhook(JSON.stringify(refire));
      assert.equal(answer.status, 200);
      assert.deepEqual(await answer.json(), { status: 'accepted', incidents: ['INC-4'], alerts: { fired: 0, refired: 1, resolved: 0, repeat: 0 } });
      const inc4 = (await incidents(database.db)).find((i) => i.number === 4)!;
      assert.equal(inc4.previous, 1);
      assert.equal(inc4.status, 'triggered');
      assert.deepEqual((await timeline(database.db, 4)).map((e) => e.summary), [
        'INC-4 opened: DiskFillingUp on db (sev3); the group fired again after INC-1',
        'Alert firing again: DiskFillingUp (instance=db-1:9100)',
      ]);
    });

    test('a new instance of a still-firing fingerprint closes the old one (one firing row per fingerprint)', async () => {
      const body = JSON.parse(await fixture('alertmanager/firing-single.json'));
      body.groupKey = 'supersede';
      body.alerts[0].fingerprint = 'aaaa000000000001';
      assert.equal((await app.postWebhook(JSON.stringify(body))).status, 200);
      body.alerts[0].startsAt = '2026-11-21T10:00:00Z'; // Alertmanager lost the resolve in between
      const answer = await app.postWebhook(JSON.stringify(body));
      assert.deepEqual(await answer.json(), { status: 'accepted', incidents: ['INC-5'], alerts: { fired: 0, refired: 1, resolved: 0, repeat: 0 } });
      const rows = (await alerts(database.db)).filter((a) => a.fingerprint === 'aaaa000000000001');
      assert.deepEqual(rows.map((a) => [a.status, a.incident]), [['resolved', 5], ['firing', 5]]);
      const events = await timeline(database.db, 5);
      assert.deepEqual(events.map((e) => e.kind), ['incident.opened', 'alerts.fired', 'alerts.resolved', 'alerts.refired']);
      // The closed instance is named by its own startsAt, as stored (to the microsecond).
      assert.deepEqual(events[2]!.data.alerts, [{ startsAt: '2026-11-21T06:57:15.457695Z', fingerprints: ['aaaa000000000001'], superseded: true }]);
      assert.deepEqual(events[3]!.data.alerts, [{ startsAt: '2026-11-21T10:00:00Z', fingerprints: ['aaaa000000000001'] }]);
    });

    test('an alert first seen already resolved is kept, in an incident that resolves at once', async () => {
      const body = JSON.parse(await fixture('alertmanager/resolved-single.json'));
      body.groupKey = 'seen-late';
      body.alerts[0].fingerprint = 'bbbb000000000001';
      const answer = await app.postWebhook(JSON.stringify(body));
      assert.deepEqual(await answer.json(), { status: 'accepted', incidents: ['INC-6'], alerts: { fired: 0, refired: 0, resolved: 1, repeat: 0 } });
      const inc = (await incidents(database.db)).find((i) => i.number === 6)!;
      assert.equal(inc.status, 'resolved');
      assert.deepEqual((await timeline(database.db, 6)).map((e) => e.kind),
        ['incident.opened', 'alerts.resolved', 'alerts.all_resolved', 'incident.status_changed']);
    });

    test('a unique violation is tried three times in all, any other error once; neither keeps anything, and the redelivery is stored', async () => {
      const db = database.db;
      // Each attempt's insert into alerts draws a number (sequences ignore rollbacks), then fails.
      await db.exec(`
        CREATE SEQUENCE test_attempts;
        CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM nextval('test_attempts');
          RAISE EXCEPTION 'refused by the test' USING ERRCODE = TG_ARGV[0];
        END $$;`);
      const body = JSON.parse(await fixture('alertmanager/firing-single.json'));
      body.groupKey = 'refused';
      body.alerts[0].fingerprint = 'cccc000000000001';
      const attempts = async (sqlstate: string) => {
        await db.exec(`CREATE TRIGGER test_refuse BEFORE INSERT ON alerts FOR EACH STATEMENT EXECUTE FUNCTION test_refuse('${sqlstate}')`);
        const before = (await db.query<{ n: number }>("SELECT nextval('test_attempts') AS n")).rows[0]!.n;
        const res = await app.postWebhook(JSON.stringify(body));
        await db.exec('DROP TRIGGER test_refuse ON alerts');
        assert.equal(res.status, 500);
        assert.equal(((await res.json()) as { error: string }).error, 'internal');
        return (await db.query<{ n: number }>("SELECT nextval('test_attempts') AS n")).rows[0]!.n - before - 1;
      };
      assert.equal(await attempts('23505'), 3);
      assert.equal(await attempts('P0001'), 1);
      assert.equal(await count(db, "alerts WHERE fingerprint = 'cccc000000000001'"), 0);
      assert.equal(await count(db, "incidents WHERE group_key = 'refused'"), 0);

      const res = await app.postWebhook(JSON.stringify(body));
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as { alerts: unknown }).alerts, { fired: 1, refired: 0, resolved: 0, repeat: 0 });
      assert.equal(await count(db, "alerts WHERE fingerprint = 'cccc000000000001'"), 1);
    });
  });
}
