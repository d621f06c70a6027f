import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ALICE, API_TOKENS, BOB } from '../support/api.js';
import { TOKEN } from '../support/app.js';
import { alertBody, playbookDir } from '../support/playbooks.js';
import { freePort, runCli, type RunningCli } from '../support/process.js';
import { eventually } from '../support/wait.js';

const PLAYBOOKS = playbookDir({
  'gated.yml': `name: gated
match: ['alertname="CliGated"']
steps:
  - id: hold
    action: wait
    approval: { approvers: [U0ALICE] }
    with: { duration: 1s }
`,
});

/** Runs one `firebreak …` command to its end: exit code and output. */
async function firebreak(args: string[], env: Record<string, string>) {
  const run = runCli(args, env);
  const code = await run.exited;
  return { code, out: run.stdout(), err: run.stderr() };
}

// The embedded database: the case where the CLI could not read while the server held it.
describe('the firebreak command over a running server on the embedded database', () => {
  let dataDir: string;
  let server: RunningCli;
  let url: string;
  let env: Record<string, string>;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fb-cli-'));
    const port = String(await freePort());
    const common = { FIREBREAK_DATA_DIR: dataDir, PLAYBOOKS_DIR: PLAYBOOKS, PORT: port, HOST: '127.0.0.1' };
    server = runCli(['start'], { ...common, ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_API_TOKENS: API_TOKENS });
    url = await server.listening;
    env = { ...common, FIREBREAK_URL: url, FIREBREAK_TOKEN: ALICE.token };
    for (const alertname of ['CliFirst', 'CliGated']) {
      const res = await fetch(`${url}/webhooks/alertmanager`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: alertBody({ alertname }),
      });
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    await rm(dataDir, { recursive: true, force: true });
  });

  test('incidents list and show, and the timeline, read through the server while it holds the database', async () => {
    const list = await firebreak(['incidents', 'list'], env);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^INC-2\tsev\d\ttriggered\t.+\tCliGated\nINC-1\t.+\tCliFirst\n$/);
    const filtered = await firebreak(['incidents', 'list', '--q', 'CliFirst'], env);
    assert.match(filtered.out, /^INC-1\t[^\n]+\n$/);
    const bad = await firebreak(['incidents', 'list', '--status', 'open'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /^firebreak: 400: query status: must be statuses/);
    const timeline = await firebreak(['timeline', 'INC-1'], env);
    assert.equal(timeline.code, 0);
    assert.match(timeline.out, /^ {3}1 {2}\S+ \S+ {2}incident\.opened {2}alertmanager {2}INC-1 opened: CliFirst/);
    const missing = await firebreak(['timeline', 'INC-99'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /404: there is no incident INC-99/);
  });

  test('approve: refused for a token whose person is not an approver, done for one who is', async () => {
    const show = await eventually('the approval', async () => {
      const r = await firebreak(['incidents', 'show', 'INC-2'], env);
      return /approval (\d+): step hold of gated waits/.exec(r.out);
    });
    const id = show[1]!;
    const refused = await firebreak(['approve', id], { ...env, FIREBREAK_TOKEN: BOB.token });
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^firebreak: 403: needs a place among this step's approvers, fixed when its approval was requested; held by U0ALICE\n$/);
    const approved = await firebreak(['approve', id], env);
    assert.equal(approved.code, 0, approved.err);
    assert.equal(approved.out, 'step hold of gated approved\n');
    const again = await firebreak(['deny', id], env);
    assert.equal(again.code, 1);
    assert.match(again.err, /409: approval \d+ is already approved/);
    const noToken = await firebreak(['approve', id], { ...env, FIREBREAK_TOKEN: '' });
    assert.match(noToken.err, /401/);
  });

  test('jobs list and retry, and the postmortem drafted by the server', async () => {
    const jobs = await firebreak(['jobs', 'list', '--state', 'done'], env);
    assert.equal(jobs.code, 0);
    assert.match(jobs.out, /\tplaybooks\.match\tdone\t/);
    const retry = await firebreak(['jobs', 'retry', '999999'], env);
    assert.equal(retry.code, 1);
    assert.match(retry.err, /404: there is no job 999999/);
    const postmortem = await firebreak(['postmortem', 'INC-1'], env);
    assert.equal(postmortem.code, 0, postmortem.err);
    assert.match(postmortem.out, /INC-1/);
    assert.doesNotMatch(postmortem.err, /in use by/);
  });
});

describe('the firebreak command without a server', () => {
  test('reads are answered from the database by the API\'s own read routes, with its token rules; a change says it needs a server and changes nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fb-cli-off-'));
    const common = { FIREBREAK_DATA_DIR: dataDir, PLAYBOOKS_DIR: PLAYBOOKS, FIREBREAK_API_TOKENS: API_TOKENS };
    try {
      // A server records two incidents (one with a step waiting for approval), then stops.
      const server = runCli(['start'], { ...common, PORT: String(await freePort()), HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN });
      const url = await server.listening;
      for (const alertname of ['CliFirst', 'CliGated']) {
        const res = await fetch(`${url}/webhooks/alertmanager`, {
          method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: alertBody({ alertname }),
        });
        assert.equal(res.status, 200);
      }
      await eventually('the approval asked', async () => {
        const res = await fetch(`${url}/api/v1/incidents/INC-2`, { headers: { authorization: `Bearer ${ALICE.token}` } });
        return ((await res.json()) as { approvals: { status: string }[] }).approvals.some((a) => a.status === 'pending');
      });
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0);

      const env = { ...common, FIREBREAK_URL: `http://127.0.0.1:${await freePort()}`, FIREBREAK_TOKEN: ALICE.token };
      const note = /^firebreak: no server answers at http:\/\/127\.0\.0\.1:\d+: read from the database\n$/;
      const list = await firebreak(['incidents', 'list', '--q', 'CliFirst'], env);
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /^INC-1\tsev\d\ttriggered\t[^\n]+\tCliFirst\n$/);
      assert.match(list.err, note);
      const since = await firebreak(['incidents', 'list', '--since', new Date(Date.now() + 3_600_000).toISOString()], env);
      assert.equal(since.code, 0, since.err);
      assert.equal(since.out, '', 'nothing opened after an hour from now');
      const until = await firebreak(['incidents', 'list', '--until', new Date(Date.now() + 3_600_000).toISOString(), '--status', 'triggered'], env);
      assert.match(until.out, /^INC-2\t[^\n]+\nINC-1\t[^\n]+\n$/);
      assert.equal((await firebreak(['incidents', 'list', '--until', '2020-01-01T00:00:00Z'], env)).out, '', 'nothing opened before 2020');
      const show = await firebreak(['incidents', 'show', 'INC-2'], env);
      assert.equal(show.code, 0, show.err);
      const approval = /approval (\d+): step hold of gated waits/.exec(show.out);
      assert.ok(approval, show.out);
      assert.match(show.out, /timeline: \d+ events, hash chain verified/);
      const timeline = await firebreak(['timeline', 'INC-1'], env);
      assert.match(timeline.out, /^ {3}1 {2}\S+ \S+ {2}incident\.opened {2}alertmanager {2}INC-1 opened: CliFirst/);
      const jobs = await firebreak(['jobs', 'list', '--state', 'done'], env);
      assert.match(jobs.out, /\tplaybooks\.match\tdone\t/);
      // The API's rules hold without a server: FIREBREAK_API_TOKENS is set, so a token is needed.
      const noToken = await firebreak(['incidents', 'list'], { ...env, FIREBREAK_TOKEN: '' });
      assert.equal(noToken.code, 1);
      assert.match(noToken.err, /firebreak: 401: send Authorization: Bearer <token>/);
      assert.equal(noToken.out, '');

      const approve = await firebreak(['approve', approval[1]!], env);
      assert.equal(approve.code, 1);
      assert.match(approve.err, /^firebreak: no firebreak server answers at .+: approve needs a running server \(FIREBREAK_URL\)\n$/);
      assert.match((await firebreak(['incidents', 'show', 'INC-2'], env)).out, new RegExp(`approval ${approval[1]}: step hold of gated waits`));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
