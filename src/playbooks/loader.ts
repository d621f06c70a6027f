import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validatePlaybook, type Playbook, type Problem } from './validate.js';

/** What a directory of playbooks holds: the good ones, and what is wrong with the rest. */
export interface PlaybookSet {
  playbooks: Playbook[];
  problems: Problem[];
}

/**
 * Reads every `*.yml` / `*.yaml` file in `dir` (not recursively). A broken file is left out and
 * reported; the others load. A missing directory is no playbooks, and said once as a problem.
 */
export async function loadPlaybooks(dir: string): Promise<PlaybookSet> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { playbooks: [], problems: [{ file: dir, path: '', reason: code === 'ENOENT' ? 'the playbook directory does not exist' : (err as Error).message }] };
  }
  const playbooks: Playbook[] = [];
  const problems: Problem[] = [];
  const byName = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    let source: string;
    try {
      source = await readFile(file, 'utf8');
    } catch (err) {
      problems.push({ file, path: '', reason: `cannot be read: ${(err as Error).message}` });
      continue;
    }
    const result = validatePlaybook(source, file);
    problems.push(...result.problems);
    if (!result.playbook) continue;
    const other = byName.get(result.playbook.definition.name);
    if (other) {
      problems.push({ file, path: 'name', reason: `the name "${result.playbook.definition.name}" is already used by ${other}` });
      continue;
    }
    byName.set(result.playbook.definition.name, file);
    playbooks.push(result.playbook);
  }
  return { playbooks, problems };
}
