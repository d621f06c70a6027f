import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { loadPlaybooks } from './loader.js';
import { unsetSecrets } from './secrets.js';
import { matchesAll } from './matchers.js';
import { formatProblem, type Playbook, type Problem } from './validate.js';

/** The playbooks in use. Reloading swaps the whole set at once; runs under way keep their own copy. */
export interface PlaybookRegistry {
  current(): readonly Playbook[];
  find(name: string): Playbook | undefined;
  /** Whether an alert with these labels satisfies one of the playbooks' matchers. */
  matchesAny(labels: Readonly<Record<string, string>>): boolean;
  problems(): readonly Problem[];
  /** Reads the directory again. Broken files are left out, logged and counted; the rest are used. */
  reload(): Promise<void>;
}

export async function createPlaybookRegistry(
  dir: string, logger: Logger, metrics: Metrics, isSecretSet: (variable: string) => boolean,
): Promise<PlaybookRegistry> {
  let playbooks: readonly Playbook[] = [];
  let problems: readonly Problem[] = [];
  const registry: PlaybookRegistry = {
    current: () => playbooks,
    find: (name) => playbooks.find((p) => p.definition.name === name),
    matchesAny: (labels) => playbooks.some((p) => matchesAll(p.matchers, labels)),
    problems: () => problems,
    async reload() {
      const set = await loadPlaybooks(dir);
      playbooks = set.playbooks;
      problems = set.problems;
      metrics.playbooksLoaded.set(playbooks.length);
      metrics.playbookProblems.set(problems.length);
      for (const p of problems) logger.error({ file: p.file, path: p.path, line: p.line }, `playbook refused: ${formatProblem(p)}`);
      for (const line of unsetSecrets(playbooks, isSecretSet)) logger.warn(`playbook secret missing: ${line}`);
      logger.info({ dir, playbooks: playbooks.map((p) => p.definition.name), problems: problems.length }, 'playbooks loaded');
    },
  };
  await registry.reload();
  return registry;
}
