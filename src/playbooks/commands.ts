import { readFile } from 'node:fs/promises';
import { loadPlaybooks } from './loader.js';
import { alertsFromJson, dryRun } from './dry-run.js';
import { playbookJsonSchema } from './schema.js';
import { displayParams, unsetSecrets } from './secrets.js';
import { formatProblem, type Playbook } from './validate.js';

/** What a CLI command prints and its exit code. */
export interface CommandResult {
  out: string;
  err: string;
  code: number;
}

/**
 * `firebreak playbooks check [dir]`: every problem in every file; non-zero exit when there is any.
 * Secrets whose variable is not set here, and actions whose configuration is missing here
 * (`unconfigured`), are named too, as warnings: where the check runs (CI) may rightly not have them.
 */
export async function checkCommand(
  dir: string, isSecretSet: (variable: string) => boolean, unconfigured: (playbooks: readonly Playbook[]) => string[] = () => [],
): Promise<CommandResult> {
  const { playbooks, problems } = await loadPlaybooks(dir);
  const ok = playbooks.map((p) => `ok   ${p.file} (${p.definition.name}: ${p.definition.steps.length} steps)`);
  return {
    out: ok.length ? `${ok.join('\n')}\n` : '',
    err: problems.map((p) => `FAIL ${formatProblem(p)}\n`).join('') +
      [...unsetSecrets(playbooks, isSecretSet), ...unconfigured(playbooks)].map((line) => `WARN ${line}\n`).join(''),
    code: problems.length ? 1 : 0,
  };
}

// A storm's 2,000 alerts would bury the answer: the first ones are shown in full, the rest counted.
const SHOWN_ALERTS = 10;

/** `firebreak playbooks test --alert payload.json [dir]`: which playbooks match and each step rendered; nothing runs. */
export async function testCommand(dir: string, alertFile: string): Promise<CommandResult> {
  let alerts;
  try {
    alerts = alertsFromJson(JSON.parse(await readFile(alertFile, 'utf8')));
  } catch (err) {
    return { out: '', err: `cannot read alerts from ${alertFile}: ${(err as Error).message}\n`, code: 2 };
  }
  const { playbooks, problems } = await loadPlaybooks(dir);
  const lines: string[] = [];
  let failed = problems.length > 0;
  const runs = dryRun(playbooks, alerts);
  for (const [i, run] of runs.entries()) {
    if (i === SHOWN_ALERTS) {
      const rest = runs.slice(i);
      failed ||= rest.some((r) => r.matches.some((m) => m.steps.some((s) => s.error)));
      lines.push(`… and ${rest.length} more alerts, of which ${rest.filter((r) => r.matches.length).length} match a playbook`);
      break;
    }
    const labels = Object.entries(run.alert.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
    lines.push(`alert ${i + 1} of ${alerts.length}: ${labels}`);
    if (!run.matches.length) lines.push('  no playbook matches');
    for (const m of run.matches) {
      lines.push(`  matches ${m.playbook}:`);
      for (const [n, s] of m.steps.entries()) {
        lines.push(`    ${n + 1}. ${s.id} (${s.action})${s.gate ? ` [${s.gate}]` : ''}`);
        if (s.error) {
          failed = true;
          lines.push(`       ERROR: ${s.error}`);
        } else lines.push(`       with: ${JSON.stringify(displayParams(s.action, s.params))}`);
      }
    }
  }
  return { out: `${lines.join('\n')}\n(nothing was run)\n`, err: problems.map((p) => `FAIL ${formatProblem(p)}\n`).join(''), code: failed ? 1 : 0 };
}

/** `firebreak playbooks schema`: the JSON Schema of playbook files. */
export function schemaCommand(): CommandResult {
  return { out: `${JSON.stringify(playbookJsonSchema(), null, 2)}\n`, err: '', code: 0 };
}
