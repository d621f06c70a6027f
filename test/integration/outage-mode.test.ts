import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { INCIDENT_CHANNEL, slackEnv, startTestApp, type TestApp } from '../support/app.js';
import { backends, type TestDatabase } from '../support/databases.js';
import { FakeSlack, type FakeMessage } from '../support/fake-slack.js';
import { postSlack, slashCommandBody } from '../support/slack-requests.js';

type Blocks = { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text?: unknown; action_id?: string }[] }[];
const ALERTNAMES = ['HighLatency', 'ErrorRate', 'DiskFull', 'TargetDown'];
const HOSTILE = '<!channel> & <https://evil.example|click>';

/** Incident `i` of an outage: its own group; every one carries cluster eu-1 and a hostile team label; every 50th is critical. */
function outageAlert(run: string, i: number): string {
  const labels = {
    alertname: ALERTNAMES[i % ALERTNAMES.length]!, cluster: 'eu-1', team: HOSTILE, instance: `host-${i}:9100`,
    severity: i % 50 === 7 ? 'critical' : 'warning',
  };
  return JSON.stringify({
    version: '4', groupKey: `{}:{run="${run}",i="${i}"}`, truncatedAlerts: 0, status: 'firing', receiver: 'firebreak',
    groupLabels: { alertname: labels.alertname, instance: labels.instance }, commonLabels: labels,
    commonAnnotations: { summary: `outage ${i}` }, externalURL: 'http://alertmanager.local:9093',
    alerts: [{
      status: 'firing', labels, annotations: { summary: `outage ${i}` }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.local:9090/graph', fingerprint: `${run}${i.toString(16).padStart(12, '0')}`,
    }],
  });
}

for (const backend of backends()) {
  describe(`Outage mode (${backend.name})`, () => {
    let database: TestDatabase;
    let app: TestApp;
    let slack: FakeSlack;
    const start = async (env: Record<string, string> = {}) => {
      database = await backend.create();
      slack = await FakeSlack.start();
      app = await startTestApp(database, slackEnv(slack.apiUrl, env));
    };
    afterEach(async () => {
      await app.close();
      await slack.close();
      await database.close();
    });
    const messages = () => [...(slack.messages.get(INCIDENT_CHANNEL)?.values() ?? [])];
    const digests = () => messages().filter((m) => m.metadata?.event_type === 'firebreak_outage_digest');
    const cards = () => messages().filter((m) => m.metadata?.event_type === 'firebreak_incident_card');
    const cardNumber = (m: FakeMessage) => Number(/^INC-(\d+) /.exec(m.text)![1]);
    const blocksText = (m: FakeMessage) => (m.blocks as Blocks).map((b) => [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text)].join('\n')).join('\n');
    // Posts and edits in the incident channel, as the fake Slack received them.
    const channelCalls = () => slack.calls.filter((c) => (c.method === 'chat.postMessage' || c.method === 'chat.update') && c.args.channel === INCIDENT_CHANNEL);
    const send = async (bodies: string[], inFlight: number) => {
      const numbers: number[] = [];
      let next = 0;
      await Promise.all(Array.from({ length: inFlight }, async () => {
        while (next < bodies.length) {
          const res = await app.postWebhook(bodies[next++]!);
          assert.equal(res.status, 200);
          numbers.push(Number(((await res.json()) as { incidents: string[] }).incidents[0]!.slice(4)));
        }
      }));
      return numbers.sort((a, b) => a - b);
    };

    test('200 incidents in a few seconds: one digest lists them all, sev1s keep a card, shared labels named, at most 15 posts and edits', async (t) => {
      await start();
      const numbers = await send(Array.from({ length: 200 }, (_, i) => outageAlert('a', i)), 8);
      const { rows: critical } = await database.db.query<{ number: number }>("SELECT number FROM incidents WHERE severity = 'sev1' ORDER BY number");
      assert.equal(critical.length, 4);
      const digest = await slack.waitFor('a digest listing every incident', () => {
        const d = digests();
        return d.length === 1 && numbers.every((n) => blocksText(d[0]!).includes(`*INC-${n}*`)) && d[0];
      }, 30_000);
      const text = blocksText(digest);
      assert.match((digest.blocks as Blocks)[0]!.text!.text, /^Outage: 200 incidents$/);
      assert.match(text, /sev1: 4 · sev2: 0 · sev3: 196 · sev4: 0/);
      assert.match(text, /\*Likely common cause\*: every incident carries `cluster="eu-1"`, `team="&lt;!channel&gt; &amp; &lt;https:\/\/evil.example\|click&gt;"`/);
      assert.ok(!text.includes('<!channel>') && !text.includes('<https://evil'), 'label text is escaped');
      assert.match(text, /\*Split by\*\nalertname: `DiskFull` 50, `ErrorRate` 50, `HighLatency` 50, `TargetDown` 50/);
      assert.ok(!/instance:/.test(text), 'a label with a value per incident splits nothing');
      // The sev1 incidents have their own card; the others at most the few posted before the outage began.
      await slack.waitFor('the sev1 cards', () => critical.every((c) => cards().some((m) => cardNumber(m) === c.number)), 15_000);
      assert.ok(cards().length <= critical.length + 5, `${cards().length} cards`);
      // Settle: the digest stops changing once every incident is in it.
      await new Promise((r) => setTimeout(r, 6_000));
      const calls = channelCalls();
      const firstMinute = calls.filter((c) => c.atMs < calls[0]!.atMs + 60_000);
      t.diagnostic(`${firstMinute.length} posts and edits in the first minute: ${firstMinute.map((c) => c.method).join(', ')}`);
      assert.ok(firstMinute.length <= 15, `${firstMinute.length} posts and edits in the first minute: ${firstMinute.map((c) => c.method).join(', ')}`);
      assert.equal(digests().length, 1, 'the digest is posted once and edited in place');
      assert.ok(slack.calls.every((c) => c.status === 200));
    });

    test('a digest-only incident answers /incident status and ack; its change reaches the digest', async () => {
      await start({ OUTAGE_THRESHOLD: '3' });
      const numbers = await send(Array.from({ length: 8 }, (_, i) => outageAlert('b', i * 2 + 1)), 4); // none critical
      await slack.waitFor('the digest', () => digests().length === 1 && numbers.every((n) => blocksText(digests()[0]!).includes(`*INC-${n}*`)), 15_000);
      const digestOnly = numbers.find((n) => !cards().some((m) => cardNumber(m) === n))!;
      assert.ok(digestOnly, 'some incident is in the digest only');
      const port = Number(new URL(slack.url).port);
      const command = async (text: string) => {
        const res = await postSlack(app.url, slashCommandBody({ text, channel_id: 'C0GENERAL', trigger_id: `t-${text}` }, port));
        assert.equal(res.status, 200);
        return ((await res.json()) as { text: string }).text;
      };
      assert.match(await command(`status INC-${digestOnly}`), new RegExp(`INC-${digestOnly}`));
      await command(`ack INC-${digestOnly}`);
      await slack.waitFor('the digest showing the acknowledgement', () =>
        blocksText(digests()[0]!).includes(`*INC-${digestOnly}* sev3 · acknowledged`), 15_000);
      assert.ok(!cards().some((m) => cardNumber(m) === digestOnly), 'still no card of its own');
    });

    test('after a full window under the threshold the outage ends, its digest shows the final state, and a new incident gets a card', async () => {
      await start({ OUTAGE_THRESHOLD: '2', OUTAGE_WINDOW: '2s' });
      const numbers = await send(Array.from({ length: 4 }, (_, i) => outageAlert('c', i * 2 + 1)), 4);
      await slack.waitFor('the digest', () => digests().length === 1, 15_000);
      await slack.waitFor('the outage over', () => /^Outage over: 4 incidents$/.test((digests()[0]!.blocks as Blocks)[0]!.text!.text) && digests()[0], 20_000);
      const final = blocksText(digests()[0]!);
      assert.match(final, /Outage mode from .* to .*: this is its final state/);
      for (const n of numbers) assert.ok(final.includes(`*INC-${n}*`));
      assert.ok(!(digests()[0]!.blocks as Blocks).some((b) => b.type === 'actions'), 'no Declare button on an outage that is over');
      const [after] = await send([outageAlert('c', 101)], 1);
      await slack.waitFor('a card for the incident after the outage', () => cards().some((m) => cardNumber(m) === after));
      assert.equal(digests().length, 1);
    });
  });
}
