import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readMigrations } from '../../src/db/migrate.js';
import { backends } from '../support/databases.js';
import { fixture, TOKEN } from '../support/app.js';
import { runCli } from '../support/process.js';

const send = (url: string, body: string) =>
  fetch(`${url}/webhooks/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
const post = async (url: string, name: string) => send(url, await fixture(`alertmanager/${name}.json`));

for (const backend of backends()) {
  describe(`the firebreak process (${backend.name})`, () => {
    test('starts, takes webhooks, drains in-flight work on SIGTERM, and keeps its data across restarts', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'fb-e2e-'));
      const database = backend.name === 'postgres' ? await backend.create() : undefined;
      const env = {
        PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: dataDir,
        ...(database ? { DATABASE_URL: database.url! } : {}),
      };
      try {
        const first = runCli(['start'], env);
        const url = await first.listening;
        assert.equal((await post(url, 'firing-group')).status, 200);
        // SIGTERM while the storm is being stored: the request still completes.
        // Read first: the 30 ms before SIGTERM are for the request to reach firebreak.
        const storm = send(url, await fixture('alertmanager/storm-2000.json'));
        await new Promise((r) => setTimeout(r, 30));
        first.child.kill('SIGTERM');
        assert.equal((await storm).status, 200);
        assert.equal(await first.exited, 0);
        assert.match(first.stdout(), /"msg":"firebreak stopped"/);
        assert.ok(!first.stdout().includes(TOKEN) && !first.stderr().includes(TOKEN), 'no secret in the logs');

        const second = runCli(['start'], env);
        const url2 = await second.listening;
        const res = await post(url2, 'partial-resolve');
        assert.deepEqual(await res.json(), { status: 'accepted', incidents: ['INC-1'], alerts: { fired: 0, refired: 0, resolved: 1, repeat: 1 } });
        const again = await post(url2, 'storm-2000');
        assert.deepEqual((await again.json() as { incidents: string[] }).incidents, ['INC-2'], 'the storm stored before SIGTERM is still there');

        if (backend.name === 'pglite') {
          const third = runCli(['start'], env);
          assert.equal(await third.exited, 1);
          assert.match(third.stderr(), /^firebreak: the embedded database in .+ is in use by another firebreak process \(host .+, pid \d+, since .+\); stop it, or set DATABASE_URL/);
        }
        second.child.kill('SIGINT');
        assert.equal(await second.exited, 0);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
        await database?.close();
      }
    });
  });
}

describe('firebreak command line', () => {
  test('a bad configuration exits 1 naming every problem, with no stack trace', async () => {
    const run = runCli(['start'], { PORT: 'eighty', WEBHOOK_MAX_BYTES: '-1', DATABASE_URL: 'http://db', LOG_LEVEL: 'chatty' });
    assert.equal(await run.exited, 1);
    assert.equal(run.stderr(), [
      'firebreak: Invalid configuration:',
      '  - PORT: must be a whole number (got "eighty")',
      '  - DATABASE_URL: must be a postgres:// or postgresql:// URL',
      '  - WEBHOOK_MAX_BYTES: must be at least 1024 (got "-1")',
      '  - LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "chatty")',
      '',
    ].join('\n'));
    assert.equal(run.stdout(), '');
  });

  test('a .env file in the working directory is read, and the environment wins over it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fb-env-'));
    try {
      await writeFile(join(dir, '.env'), 'LOG_LEVEL=chatty\nPORT=not-a-port\n');
      const run = runCli(['start'], { PORT: '0' }, dir);
      assert.equal(await run.exited, 1);
      assert.equal(run.stderr(), 'firebreak: Invalid configuration:\n  - LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "chatty")\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('no token: it listens on loopback by default, and refuses a non-loopback HOST unless told webhooks may be unauthenticated', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fb-host-'));
    try {
      const refused = runCli(['start'], { HOST: '0.0.0.0', FIREBREAK_DATA_DIR: dataDir });
      assert.equal(await refused.exited, 1);
      assert.match(refused.stderr(), /^firebreak: Invalid configuration:\n {2}- HOST: is not a loopback address and ALERTMANAGER_WEBHOOK_TOKEN is not set: set the token/);
      const local = runCli(['start'], { PORT: '0', FIREBREAK_DATA_DIR: dataDir });
      const localUrl = await local.listening;
      assert.match(localUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await fetch(`${localUrl}/healthz`)).status, 200); // started: its SIGTERM handler is in place
      local.child.kill('SIGTERM');
      assert.equal(await local.exited, 0);
      const open = runCli(['start'], { PORT: '0', HOST: '0.0.0.0', ALERTMANAGER_WEBHOOK_UNAUTHENTICATED: 'true', FIREBREAK_DATA_DIR: dataDir });
      const url = await open.listening;
      assert.match(open.stdout(), /"msg":"ALERTMANAGER_WEBHOOK_UNAUTHENTICATED is true: anyone who can reach firebreak can send it alerts/);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      open.child.kill('SIGTERM');
      assert.equal(await open.exited, 0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('an unreachable database exits 1 with one line saying so', async () => {
    const run = runCli(['start'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent' });
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /^firebreak: database unavailable: .*ECONNREFUSED.*\n$/);
  });

  test('migrate applies migrations and exits; unknown commands exit 2 with usage', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fb-migrate-'));
    try {
      const run = runCli(['migrate'], { FIREBREAK_DATA_DIR: dataDir });
      assert.equal(await run.exited, 0);
      const versions = (await readMigrations()).map((m) => m.version);
      assert.ok(versions.length >= 6);
      assert.ok(run.stdout().includes(`"applied":[${versions.join(',')}],"msg":"migrations applied"`), run.stdout());
      const again = runCli(['migrate'], { FIREBREAK_DATA_DIR: dataDir });
      assert.equal(await again.exited, 0);
      assert.match(again.stdout(), /"msg":"database is up to date"/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    const bad = runCli(['frobnicate'], {});
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr(), /^firebreak: unknown command "frobnicate"\n\nUsage: firebreak <command>/);
  });
});
