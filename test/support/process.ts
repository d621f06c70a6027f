import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** A firebreak child process, its output kept. */
export interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves with the URL from the "firebreak is listening" log line. */
  listening: Promise<string>;
}

/**
 * Runs `node dist/cli.js …` with exactly `env` (plus PATH), no .env file in its working directory;
 * under `wrapper` when given (a command that runs the rest of its argv, like `unshare … --`).
 */
export function runCli(args: string[], env: Record<string, string>, cwd = '/', wrapper: string[] = []): RunningCli {
  const [program, ...argv] = [...wrapper, process.execPath, CLI, ...args] as [string, ...string[]];
  const child = spawn(program, argv, { env: { PATH: process.env.PATH ?? '', ...env }, cwd, stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)","msg":"firebreak is listening"/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`firebreak exited with ${code} before listening:\n${out}\n${err}`)));
  });
  listening.catch(() => {}); // callers that expect a failed start never await it
  return { child, stdout: () => out, stderr: () => err, exited, listening };
}

/** A TCP port free on loopback right now (for a server the test starts). */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
