import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LOCK_FILE, lockDataDir, type LockHolder } from '../../src/db/data-dir-lock.js';

// Fast beats, so that a test sees a holder alive (or silent) within a second or two.
const FAST = { heartbeatMs: 100, staleMs: 1_000 };
// Another container on this host: same host name and boot, its own PID namespace, and the same PID 1.
const otherContainer = { pidNamespace: 'pid:[4026530001]', pid: 1 };
const dirs: string[] = [];
const newDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fb-lock-'));
  dirs.push(dir);
  return dir;
};
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const holderIn = async (dir: string) => JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as LockHolder;

describe('the embedded database\'s directory lock', () => {
  test('a second process with the same PID number, in another PID namespace, is refused while the holder beats', async () => {
    const dir = await newDir();
    const first = await lockDataDir(dir, { ...FAST, identity: { pidNamespace: 'pid:[4026530000]', pid: 1 } });
    const holder = await holderIn(dir);
    assert.equal(holder.pid, 1);
    await assert.rejects(lockDataDir(dir, { ...FAST, identity: otherContainer }), (err: Error) => {
      assert.match(err.message, new RegExp(`^the embedded database in ${dir} is in use by another firebreak process \\(host ${holder.host}, pid 1, since ${holder.startedAt}, last heartbeat `));
      assert.match(err.message, /stop it, or set DATABASE_URL .* a recreate, not a rolling update\)$/);
      return true;
    });
    await first.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'released: the file is gone');
    const second = await lockDataDir(dir, { ...FAST, identity: otherContainer });
    assert.equal((await holderIn(dir)).pidNamespace, otherContainer.pidNamespace);
    await second.release();
  });

  test('a holder that stopped beating (its container killed) is taken over once its heartbeat is stale', async () => {
    const dir = await newDir();
    const silent: LockHolder = {
      host: 'another-host', bootId: 'b', pidNamespace: 'p', pid: 1, token: 'dead', startedAt: '2026-11-21T10:00:00.000Z', beats: 3, beatAt: '2026-11-21T10:00:15.000Z',
    };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(silent));
    await writeFile(join(dir, 'firebreak.pid'), '1');
    const lock = await lockDataDir(dir, { ...FAST, identity: otherContainer });
    assert.notEqual((await holderIn(dir)).token, 'dead');
    assert.equal(existsSync(join(dir, 'firebreak.pid')), false, 'the pid file of earlier versions is removed');
    await lock.release();
  });

  test('a file that is no lock at all is taken over once it has not changed for the stale time', async () => {
    const dir = await newDir();
    await writeFile(join(dir, LOCK_FILE), 'garbage');
    const lock = await lockDataDir(dir, FAST);
    assert.equal((await holderIn(dir)).pid, process.pid);
    await lock.release();
  });

  test('in this PID namespace, a holder whose process is gone is taken over at once', { timeout: 20_000 }, async () => {
    const dir = await newDir();
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    const first = await lockDataDir(dir, { ...FAST, identity: { pid: deadPid } });
    await first.release();
    // As a crash leaves it: the file, naming a process of this host and namespace that no longer runs.
    const me = await lockDataDir(dir, FAST);
    const left = { ...(await holderIn(dir)), pid: deadPid, token: 'crashed' };
    await me.release();
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(left));
    // A stale time no test waits for: taken at once, or this test times out.
    const lock = await lockDataDir(dir, { heartbeatMs: 100, staleMs: 600_000 });
    assert.equal((await holderIn(dir)).pid, process.pid);
    await lock.release();
  });

  test('this process cannot take a directory it already holds', { timeout: 20_000 }, async () => {
    const dir = await newDir();
    const lock = await lockDataDir(dir, { heartbeatMs: 100, staleMs: 600_000 });
    await assert.rejects(lockDataDir(dir, { heartbeatMs: 100, staleMs: 600_000 }), new RegExp(`pid ${process.pid}, since`));
    await lock.release();
  });

  test('a holder whose lock another process took over hears of it at its next beat', async () => {
    const dir = await newDir();
    let lostTo: LockHolder | undefined | 'not yet' = 'not yet';
    const lock = await lockDataDir(dir, { ...FAST, onLost: (holder) => (lostTo = holder) });
    const thief = { ...(await holderIn(dir)), host: 'thief', token: 'stolen' };
    await writeFile(join(dir, LOCK_FILE), JSON.stringify(thief));
    for (let i = 0; i < 50 && lostTo === 'not yet'; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(lostTo, thief);
    await lock.release();
    assert.equal((await holderIn(dir)).token, 'stolen', 'a lost lock is not removed on release');
  });
});
