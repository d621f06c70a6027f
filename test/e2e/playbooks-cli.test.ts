import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FIXTURES, TOKEN } from '../support/app.js';
import { playbookDir } from '../support/playbooks.js';
import { runCli } from '../support/process.js';
import { eventually } from '../support/wait.js';

const EXAMPLES = fileURLToPath(new URL('../../playbooks/', import.meta.url));
const run = async (args: string[]) => {
  const cli = runCli(args, {});
  return { code: await cli.exited, out: cli.stdout(), err: cli.stderr() };
};

test('playbooks check: ok for the examples; every problem, with file and line, and exit 1 otherwise', async () => {
  const good = await run(['playbooks', 'check', EXAMPLES]);
  assert.equal(good.code, 0, good.err);
  assert.match(good.out, /ok {3}.*high-error-rate\.yml \(high-error-rate: 4 steps\)/);
  // Run with no configuration: each step whose action is not configured is a warning, not a failure.
  assert.match(good.err, /^WARN .*kube-pod-crash-looping\.yml:29: steps\[2\]\.action: prometheus\.query_range needs PROMETHEUS_URL, which is not set here/m);
  const served = runCli(['playbooks', 'check', EXAMPLES], {
    PROMETHEUS_URL: 'http://prometheus:9090', ALERTMANAGER_URL: 'http://alertmanager:9093', EXEC_ALLOWLIST: 'kubectl,cmctl,/usr/local/bin/disk-cleanup',
    HTTP_ACTION_ALLOWED_HOSTS: 'deploy.internal', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '0123456789abcdef', SLACK_INCIDENT_CHANNEL: 'C0INCIDENTS',
  });
  assert.equal(await served.exited, 0);
  assert.equal(served.stderr(), '');
  const invalid = runCli(['playbooks', 'check', EXAMPLES], { PROMETHEUS_URL: 'prometheus:9090' });
  assert.equal(await invalid.exited, 0);
  assert.match(invalid.stderr(), /^WARN the configuration here is invalid, so which actions it serves was not checked: - PROMETHEUS_URL: must be an http\(s\) URL/m);
  const dir = playbookDir({
    'a.yml': 'name: a\nmatch: [\'alertname="A"\']\nsteps:\n  - id: x\n    action: exec\n    with: { argv: [echo, "{{ alert.label.x }}"] }\n',
    'b.yaml': 'name: b\nmatch: [\'alertname=~"("\']\nsteps:\n  - id: y\n    action: wait\n    with: { duration: soon }\n',
  });
  const bad = await run(['playbooks', 'check', dir]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /FAIL .*a\.yml:6: steps\[0\]\.with\.argv\[1\]: unknown variable alert\.label\.x/);
  assert.match(bad.err, /FAIL .*b\.yaml:6: steps\[0\]\.with\.duration: must be a duration/);
});

test('playbooks test --alert: which playbooks match and each step rendered; nothing runs', async () => {
  const payload = fileURLToPath(new URL('mixins/kube-pod-crash-looping.json', FIXTURES));
  const r = await run(['playbooks', 'test', '--alert', payload, EXAMPLES]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^alert 1 of 1: alertname="KubePodCrashLooping"/);
  assert.match(r.out, /matches kube-pod-crash-looping:\n {4}1\. describe \(exec\)\n {7}with: \{"argv":\["kubectl","describe","pod","--namespace=shop","--","checkout-7d9f8b6c5-x2x9k"\]\}/);
  assert.match(r.out, /5\. delete-pod \(exec\) \[approval by commander within 20m\]/);
  const storm = await run(['playbooks', 'test', '--alert', fileURLToPath(new URL('alertmanager/storm-2000.json', FIXTURES)), EXAMPLES]);
  assert.equal(storm.code, 0, storm.err);
  assert.match(storm.out, /^alert 1 of 2000: alertname="PodCrashLooping"[^\n]*\n  no playbook matches\n/);
  assert.match(storm.out, /… and 1990 more alerts, of which 0 match a playbook\n\(nothing was run\)\n$/);
  const missing = await run(['playbooks', 'test', '--alert', '/nonexistent.json', EXAMPLES]);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read alerts from \/nonexistent\.json/);
});

test('SIGHUP reloads the playbooks of a running firebreak', async () => {
  const work = await mkdtemp(join(tmpdir(), 'fb-hup-'));
  const dir = playbookDir({});
  const cli = runCli(['start'], { PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: work, PLAYBOOKS_DIR: dir });
  try {
    await cli.listening;
    assert.match(cli.stdout(), /"playbooks":\[\],"problems":0,"msg":"playbooks loaded"/);
    await writeFile(join(dir, 'late.yml'), 'name: late\nmatch: [\'alertname="Late"\']\nsteps:\n  - id: w\n    action: wait\n    with: { duration: 1s }\n');
    cli.child.kill('SIGHUP');
    await eventually('the reload', async () => /"playbooks":\["late"\],"problems":0,"msg":"playbooks loaded"/.test(cli.stdout()));
    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
