import { spawn } from 'node:child_process';
import type { ActionParams } from '../playbooks/action-params.js';
import { ActionFailure, type Action } from '../runner/action.js';
import { readCapped } from './read-capped.js';

export interface ExecActionDeps {
  /** Programs steps may run, as written in argv[0]: `kubectl`, or an absolute path. */
  allowlist: readonly string[];
  /** The PATH programs are looked up in. */
  path: string;
  /** The other variables programs get (EXEC_ENV): nothing else of firebreak's environment reaches them. */
  env: Readonly<Record<string, string>>;
  /** Bytes kept of stdout and of stderr each. */
  maxBytes: number;
}

/**
 * `exec`: runs one allow-listed program with an argv array. No shell is ever involved, so a label
 * value like `$(touch /tmp/x)` or `; rm -rf /` is one argument, passed as it is. The environment is
 * PATH, LANG and the variables EXEC_ENV names, nothing else (firebreak's secrets stay in firebreak); on timeout the program's process group is killed.
 */
export function createExecAction(deps: ExecActionDeps): Action {
  return {
    async run(raw, ctx) {
      const { argv, stdin } = raw as ActionParams['exec'];
      const [program, ...args] = argv as [string, ...string[]];
      if (!deps.allowlist.includes(program)) {
        throw new ActionFailure(
          `exec: "${program}" is not in EXEC_ALLOWLIST${deps.allowlist.length ? ` (${deps.allowlist.join(', ')})` : ', which is empty'}; nothing was run`,
          { retryable: false },
        );
      }
      const child = spawn(program, args, {
        shell: false, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { LANG: 'C.UTF-8', ...deps.env, PATH: deps.path },
      });
      const killGroup = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch { /* already gone */ }
      };
      ctx.signal.addEventListener('abort', killGroup, { once: true });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        child.once('close', (code, signal) => resolve({ code, signal }));
      });
      child.stdin.on('error', () => {}); // a program that does not read its input
      child.stdin.end(stdin ?? '');
      const [stdout, stderr, end] = await Promise.all([readCapped(child.stdout, deps.maxBytes), readCapped(child.stderr, deps.maxBytes), exited]);
      ctx.signal.removeEventListener('abort', killGroup);
      if (end.error) {
        const missing = (end.error as NodeJS.ErrnoException).code === 'ENOENT';
        throw new ActionFailure(`exec: cannot run "${program}": ${missing ? 'not found on PATH' : end.error.message}`, { retryable: !missing, cause: end.error });
      }
      const cut = (s: { truncated: boolean; bytes: number }) => (s.truncated ? `\n[cut: ${s.bytes} bytes in all]` : '');
      const evidence = {
        mediaType: 'text/plain; charset=utf-8',
        body: `$ ${JSON.stringify(argv)}\n--- stdout ---\n${stdout.text}${cut(stdout)}\n--- stderr ---\n${stderr.text}${cut(stderr)}\n--- exit: ${end.code ?? end.signal} ---\n`,
      };
      const output = { exit_code: end.code, stdout: stdout.text, stderr: stderr.text };
      if (ctx.signal.aborted) throw new ActionFailure(`exec: ${program} did not finish in time and was killed`, { retryable: true, evidence });
      if (end.code !== 0) {
        throw new ActionFailure(`exec: ${program} exited with ${end.code ?? end.signal}${stderr.text ? `: ${stderr.text.trim().split('\n').at(-1)!.slice(0, 200)}` : ''}`, {
          retryable: true, evidence,
        });
      }
      return { output, evidence, summary: `${program} exited 0 (${stdout.bytes} bytes of output)` };
    },
  };
}
