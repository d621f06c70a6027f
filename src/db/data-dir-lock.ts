import { randomUUID } from 'node:crypto';
import { open, readFile, readlink, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ErrorCode, FirebreakError } from '../lib/errors.js';

/**
 * The embedded database's directory belongs to one process: a second one opening it would corrupt
 * it. A process ID cannot say who holds it: in a container firebreak is PID 1, and so is the one in
 * the next container on the same volume (a rolling update). The lock file names its holder (host,
 * boot id, PID namespace, PID, a random token) and its holder rewrites it every heartbeat, from a
 * thread of its own. Another
 * process takes it over only when the holder is known dead (same host, boot and PID namespace, PID
 * gone) or its heartbeat stopped for `staleMs`; it is refused as soon as it sees a heartbeat.
 */

/** Who holds the lock, as its file says. */
export interface LockHolder {
  host: string;
  bootId: string;
  pidNamespace: string;
  pid: number;
  token: string;
  startedAt: string;
  beats: number;
  beatAt: string;
}

/** A held lock, until released (when the database closes). */
export interface DataDirLock {
  release(): Promise<void>;
}

/** The lock's timing, and who this process is (tests stand in for other hosts and namespaces). */
export interface LockOptions {
  heartbeatMs?: number;
  staleMs?: number;
  identity?: Partial<Pick<LockHolder, 'host' | 'bootId' | 'pidNamespace' | 'pid'>>;
  /** Called once when the lock file names another holder: this process must stop writing. */
  onLost?: (holder: LockHolder | undefined) => void;
}

export const LOCK_FILE = 'firebreak.lock';
// The file earlier versions wrote (a bare PID): removed once the new lock is held.
const LEGACY_PID_FILE = 'firebreak.pid';
const HEARTBEAT_MS = 5_000;
// Six missed heartbeats: a process whose event loop a long query blocks is not taken for dead.
const STALE_MS = 30_000;

// Tokens of the locks this process holds: the one case a PID cannot tell apart.
const heldHere = new Set<string>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const readOr = async (read: () => Promise<string>) => (await read().catch(() => '')).trim();

async function whoAmI(given: LockOptions['identity'] = {}): Promise<Omit<LockHolder, 'token' | 'startedAt' | 'beats' | 'beatAt'>> {
  return {
    host: given.host ?? hostname(),
    bootId: given.bootId ?? await readOr(() => readFile('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNamespace: given.pidNamespace ?? await readOr(() => readlink('/proc/self/ns/pid')),
    pid: given.pid ?? process.pid,
  };
}

async function readHolder(path: string): Promise<LockHolder | undefined | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw err;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return typeof holder.token === 'string' && typeof holder.pid === 'number' ? holder : undefined;
  } catch {
    return undefined; // being written, or not a lock of ours: judged by whether it changes
  }
}

const holderText = (h: LockHolder) => `host ${h.host}, pid ${h.pid}, since ${h.startedAt}, last heartbeat ${h.beatAt}`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `dir`, waiting up to `staleMs` for a silent holder; throws naming a live one. */
export async function lockDataDir(dir: string, options: LockOptions = {}): Promise<DataDirLock> {
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const staleMs = options.staleMs ?? STALE_MS;
  const path = join(dir, LOCK_FILE);
  const startedAt = new Date().toISOString();
  const me: LockHolder = { ...(await whoAmI(options.identity)), token: randomUUID(), startedAt, beats: 0, beatAt: startedAt };
  const content = () => JSON.stringify(me);
  const inUse = (h: LockHolder) => new FirebreakError(ErrorCode.DatabaseUnavailable,
    `the embedded database in ${dir} is in use by another firebreak process (${holderText(h)}); stop it, or set DATABASE_URL to share ` +
      'a Postgres server between processes (with the embedded database, replace firebreak by stopping the old process first: a recreate, not a rolling update)');

  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(content());
      await handle.close();
      return held();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const found = await readHolder(path);
    if (found === 'gone') continue;
    if (found && heldHere.has(found.token)) throw inUse(found);
    const here = found && found.host === me.host && found.bootId !== '' && found.bootId === me.bootId &&
      found.pidNamespace !== '' && found.pidNamespace === me.pidNamespace;
    // In this PID namespace a PID tells: no such process (or this one, which does not hold it) is no holder.
    if (!(found && here && (found.pid === me.pid || !isAlive(found.pid)))) {
      // Elsewhere, or in another PID namespace: alive while its file changes.
      const changed = await watch(path, JSON.stringify(found), staleMs, Math.min(500, heartbeatMs / 2));
      if (changed === 'gone') continue;
      if (changed) throw inUse(changed);
    }
    // The holder is gone: replace its file in one step, then see who won should another process race.
    const tmp = `${path}.${me.token}`;
    await writeFile(tmp, content());
    await rename(tmp, path);
    await sleep(Math.min(1000, heartbeatMs));
    const now = await readHolder(path);
    if (now !== 'gone' && now?.token === me.token) return held();
    if (now !== 'gone' && now) throw inUse(now);
  }
  throw new FirebreakError(ErrorCode.DatabaseUnavailable, `could not lock ${path}: other processes keep taking it`);

  function held(): DataDirLock {
    void rm(join(dir, LEGACY_PID_FILE), { force: true }).catch(() => {});
    heldHere.add(me.token);
    let lost = false;
    // The heartbeat runs on a thread of its own: PGlite's queries run on the main thread and can block
    // it for seconds (creating the database takes several), which must not look like a dead holder.
    const beater = new Worker(HEARTBEAT, { eval: true, workerData: { path, holder: me, heartbeatMs } });
    beater.unref();
    beater.on('message', (message: { lost: LockHolder | null }) => {
      lost = true;
      heldHere.delete(me.token);
      options.onLost?.(message.lost ?? undefined);
    });
    return {
      async release() {
        await beater.terminate();
        if (lost) return;
        lost = true;
        heldHere.delete(me.token);
        const found = await readHolder(path).catch(() => undefined);
        if (found !== 'gone' && found?.token === me.token) await rm(path, { force: true });
      },
    };
  }
}

// Every beat: the file must still name this holder (or it was taken over: say so and stop), then it
// is replaced, in one rename, by the same holder with one more beat.
const HEARTBEAT = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { path, holder, heartbeatMs } = workerData;
const timer = setInterval(() => {
  let found;
  try { found = JSON.parse(readFileSync(path, 'utf8')); } catch (err) { found = err.code === 'ENOENT' ? null : undefined; }
  if (found === undefined) return;
  if (found === null || found.token !== holder.token) {
    clearInterval(timer);
    parentPort.postMessage({ lost: found });
    return;
  }
  holder.beats++;
  holder.beatAt = new Date().toISOString();
  try {
    writeFileSync(path + '.' + holder.token, JSON.stringify(holder));
    renameSync(path + '.' + holder.token, path);
  } catch {}
}, heartbeatMs);
`;

/** Polls the lock file for up to `staleMs`: the holder it names once it changed (a live holder), 'gone', or null. */
async function watch(path: string, before: string, staleMs: number, pollMs: number): Promise<LockHolder | 'gone' | null> {
  for (const until = Date.now() + staleMs; Date.now() < until;) {
    await sleep(pollMs);
    const now = await readHolder(path);
    if (now === 'gone') return 'gone';
    if (now && JSON.stringify(now) !== before) return now;
  }
  return null;
}
