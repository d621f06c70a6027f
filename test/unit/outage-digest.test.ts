import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { digestText, outageDigest, sharedLabels, splittingLabels, worstFirst, type DigestLine, type DigestView } from '../../src/slack/blocks/digest.js';

type Blocks = { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text?: string; action_id?: string; value?: string }[] }[];
const line = (number: number, o: Partial<DigestLine> = {}): DigestLine => ({
  number, title: `incident ${number}`, severity: 'sev3', status: 'triggered', labels: { cluster: 'eu-1' }, hasCard: false, ...o,
});
const view = (incidents: DigestLine[], o: Partial<DigestView> = {}): DigestView => ({
  outageId: 7, startedAt: new Date('2026-12-03T10:00:00Z'), endedAt: null, threshold: 5, windowMs: 60_000, ownCardSeverity: 'sev1',
  parentNumber: null, incidents, ...o,
});
const allText = (blocks: Blocks) => blocks.map((b) => [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text), ...(b.elements ?? []).map((e) => e.text ?? '')].join('\n')).join('\n');

describe('outage digest', () => {
  test('shared labels: the pairs every incident carries, severity aside', () => {
    const cases: [Record<string, string>[], [string, string][]][] = [
      [[{ cluster: 'eu-1', a: '1', severity: 'warning' }, { cluster: 'eu-1', a: '2', severity: 'warning' }], [['cluster', 'eu-1']]],
      [[{ cluster: 'eu-1' }, { cluster: 'eu-2' }], []],
      [[{ instance: 'db-1:9100', job: 'node' }, { job: 'node', instance: 'db-1:9100', x: 'y' }], [['instance', 'db-1:9100'], ['job', 'node']]],
      [[{ cluster: 'eu-1' }, {}], []],
      [[], []],
    ];
    for (const [labels, expected] of cases) {
      assert.deepEqual(sharedLabels(labels.map((l, i) => line(i + 1, { labels: l }))), expected, JSON.stringify(labels));
    }
  });

  test('splitting labels: carried by all, 2 to 8 values, counted, most first', () => {
    const incidents = [1, 2, 3, 4, 5].map((n) => line(n, { labels: { alertname: n < 4 ? 'Down' : 'Slow', instance: `h${n}`, zone: 'a', some: 'x' } }));
    incidents[4] = line(5, { labels: { alertname: 'Slow', instance: 'h5', zone: 'a' } });
    assert.deepEqual(splittingLabels(incidents), [
      { name: 'alertname', values: [['Down', 3], ['Slow', 2]] },
      { name: 'instance', values: [['h1', 1], ['h2', 1], ['h3', 1], ['h4', 1], ['h5', 1]] },
    ], 'zone has one value, some is not on every incident');
    const many = Array.from({ length: 9 }, (_, n) => line(n, { labels: { instance: `h${n}` } }));
    assert.deepEqual(splittingLabels(many), [], 'nine values split nothing');
  });

  test('with FIREBREAK_PUBLIC_URL each incident links to its console page; without, the reference is plain', () => {
    const linked = allText(outageDigest(view([line(7)], { consoleUrl: 'https://fb.example.com' })) as Blocks);
    assert.match(linked, /\*<https:\/\/fb\.example\.com\/incidents\/INC-7\|INC-7>\* sev3/);
    const plain = allText(outageDigest(view([line(7)])) as Blocks);
    assert.match(plain, /\*INC-7\* sev3/);
    assert.doesNotMatch(plain, /<http/);
  });

  test('worst first: open before closed, then severity, then oldest', () => {
    const sorted = [
      line(1, { severity: 'sev3' }), line(2, { severity: 'sev1', status: 'resolved' }), line(3, { severity: 'sev2' }), line(4, { severity: 'sev2' }),
    ].sort(worstFirst);
    assert.deepEqual(sorted.map((l) => l.number), [3, 4, 1, 2]);
  });

  test('the digest: counts, cause, list, Declare button; label and title text escaped', () => {
    const hostile = '<!channel> & <https://evil.example|x>';
    const blocks = outageDigest(view([
      line(10, { severity: 'sev1', hasCard: true, labels: { cluster: 'eu-1', team: hostile } }),
      line(11, { title: `${hostile} title`, labels: { cluster: 'eu-1', team: hostile }, status: 'acknowledged' }),
    ])) as Blocks;
    const text = allText(blocks);
    assert.equal(blocks[0]!.text!.text, 'Outage: 2 incidents');
    assert.match(text, /more than 5 new incidents within 1m in this channel/);
    assert.match(text, /\*By severity\*\nsev1: 1 · sev2: 0 · sev3: 1 · sev4: 0/);
    assert.match(text, /\*By status\*\ntriggered: 1 · acknowledged: 1/);
    assert.match(text, /every incident carries `cluster="eu-1"`, `team="&lt;!channel&gt; &amp; &lt;https:\/\/evil.example\|x&gt;"`/);
    assert.match(text, /:red_circle: \*INC-10\* sev1 · triggered · incident 10 _\(own card\)_\n:large_orange_circle: \*INC-11\* sev3 · acknowledged · &lt;!channel&gt;/);
    assert.ok(!text.includes('<!channel>') && !text.includes('<https:'));
    const actions = blocks.find((b) => b.type === 'actions')!;
    assert.deepEqual(actions.elements!.map((e) => [e.action_id, e.value]), [['incident_outage_declare', '7']]);
    assert.equal(digestText(view([line(1)])), 'Outage: 1 incidents in this channel, 1 open');
  });

  test('over: the final state, no button; declared: names its parent', () => {
    const over = outageDigest(view([line(1, { status: 'resolved' })], { endedAt: new Date('2026-12-03T10:05:00Z') })) as Blocks;
    assert.equal(over[0]!.text!.text, 'Outage over: 1 incidents');
    assert.match(allText(over), /this is its final state/);
    assert.ok(!over.some((b) => b.type === 'actions'));
    const declared = outageDigest(view([line(1)], { parentNumber: 42 })) as Blocks;
    assert.match(allText(declared), /Declared as \*INC-42\*/);
    assert.ok(!declared.some((b) => b.type === 'actions'));
  });

  test('2,000 incidents with long titles fit Slack\'s limits; what does not fit is counted, the least severe', () => {
    const incidents = Array.from({ length: 2_000 }, (_, i) => line(i + 1, { title: 'x'.repeat(500), severity: i < 10 ? 'sev1' : 'sev4' }));
    const blocks = outageDigest(view(incidents)) as Blocks;
    assert.ok(blocks.length <= 50, `${blocks.length} blocks`);
    for (const b of blocks) if (b.text) assert.ok(b.text.text.length <= 3_000);
    const text = allText(blocks);
    for (let n = 1; n <= 10; n++) assert.ok(text.includes(`*INC-${n}* sev1`), `sev1 INC-${n} listed`);
    const listed = (text.match(/\*INC-\d+\*/g) ?? []).length;
    assert.match(text, new RegExp(`…and ${2_000 - listed} more, the least severe`));
    const small = allText(outageDigest(view(incidents.slice(0, 200).map((l) => ({ ...l, title: 'short' })))) as Blocks);
    assert.equal((small.match(/\*INC-\d+\*/g) ?? []).length, 200, '200 incidents are all listed');
    assert.ok(!small.includes('more, the least severe'));
  });
});
