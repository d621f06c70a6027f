import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, runCli } from '../support/process.js';
import { eventually } from '../support/wait.js';

test('firebreak demo: the storm opens an incident, a step waits for approval, approving resolves it and drafts the postmortem', async () => {
  const port = await freePort();
  // A DATABASE_URL or Slack set in the environment is left out: the demo is local and self-contained.
  const demo = runCli(['demo'], { PORT: String(port), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'warn' });
  try {
    const base = `http://127.0.0.1:${port}`;
    await eventually('the console line', async () => demo.stderr().includes(`firebreak demo: the console is at ${base}/ (demo mode: this host only`), 60_000);
    const waiting = await eventually('the approval line', async () => /step capture-metrics waits for your approval: .+\/incidents\/(INC-\d+)/.exec(demo.stderr()), 60_000);
    const ref = waiting[1]!;

    const page = await (await fetch(`${base}/incidents/${ref}`)).text();
    assert.match(page, /<p class="banner" role="status"><strong>Demo mode<\/strong>: local only/);
    assert.match(page, /<button id="approve-\d+">Approve<\/button>/, 'the console offers Approve without signing in');
    const detail = await (await fetch(`${base}/api/v1/incidents/${ref}`)).json() as { approvals: { id: number }[]; evidence: unknown[] };
    assert.ok(detail.evidence.length >= 1, 'the first step captured evidence');
    const approved = await fetch(`${base}/api/v1/approvals/${detail.approvals[0]!.id}/approve`, { method: 'POST' });
    assert.equal(approved.status, 200, await approved.clone().text());

    await eventually('the resolution', async () => demo.stderr().includes(`${ref} is resolved`), 60_000);
    const postmortem = await eventually('the postmortem', async () => {
      const res = await fetch(`${base}/api/v1/incidents/${ref}/postmortem`);
      return res.status === 200 ? await res.json() as { markdown: string } : undefined;
    }, 60_000);
    assert.match(postmortem.markdown, new RegExp(`${ref}`));
    assert.match(postmortem.markdown, /capture-metrics/);
    const timeline = await (await fetch(`${base}/api/v1/incidents/${ref}`)).json() as { incident: { status: string }; timeline: { events: { kind: string; actor: string }[] } };
    assert.equal(timeline.incident.status, 'resolved');
    assert.deepEqual(timeline.timeline.events.filter((e) => e.kind === 'approval.approved').map((e) => e.actor), ['api:demo']);
  } finally {
    demo.child.kill('SIGINT');
    assert.equal(await demo.exited, 0, demo.stderr());
  }
});
