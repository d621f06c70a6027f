import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { TOKEN } from '../support/app.js';
import { runCli, type RunningCli } from '../support/process.js';

// Each firebreak in a PID namespace of its own, as in a container: both are PID 1.
const CONTAINER = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child=SIGTERM'];
const probe = spawnSync(CONTAINER[0]!, [...CONTAINER.slice(1), 'sh', '-c', 'echo $$'], { encoding: 'utf8' });
// unshare --fork ignores SIGTERM itself and waits for its child: firebreak is signalled directly.
const signal = (cli: RunningCli, sig: NodeJS.Signals) => {
  const pid = cli.child.pid!;
  const child = Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]);
  if (child) process.kill(child, sig);
};
const stopAll = (clis: RunningCli[]) => {
  for (const cli of clis) {
    try {
      if (cli.child.exitCode === null) signal(cli, 'SIGKILL');
    } catch { /* already gone */ }
  }
};
const SKIP = probe.stdout?.trim() === '1' ? false : `skipped: cannot make PID namespaces here (unshare --pid needs root or user namespaces): ${probe.stderr || probe.error?.message}`;

test('two firebreak processes that are both PID 1 (two containers on one volume): the second is refused, naming the first', { skip: SKIP, timeout: 120_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fb-lock-e2e-'));
  const env = { PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  const first = runCli(['start'], env, '/', CONTAINER);
  const started = [first];
  try {
    const url = await first.listening;
    const holder = JSON.parse(await readFile(join(dataDir, 'firebreak.lock'), 'utf8')) as { pid: number; pidNamespace: string };
    assert.equal(holder.pid, 1, 'the holder is PID 1 in its namespace');

    const second = runCli(['start'], env, '/', CONTAINER);
    started.push(second);
    assert.equal(await second.exited, 1);
    assert.match(second.stderr(), /^firebreak: the embedded database in .+ is in use by another firebreak process \(host .+, pid 1, since .+, last heartbeat .+\); stop it, or set DATABASE_URL/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'the first one still runs');
    assert.equal(JSON.parse(await readFile(join(dataDir, 'firebreak.lock'), 'utf8')).pidNamespace, holder.pidNamespace);

    signal(first, 'SIGTERM');
    assert.equal(await first.exited, 0);
    // Stopped, it let go: the next one (PID 1 too) starts at once.
    const third = runCli(['start'], env, '/', CONTAINER);
    started.push(third);
    await third.listening;
    signal(third, 'SIGTERM');
    assert.equal(await third.exited, 0);
  } finally {
    stopAll(started);
    await rm(dataDir, { recursive: true, force: true });
  }
});
