import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Built from parts so that this file does not name the path it looks for.
const OUTSIDE = ['..', 'shared'].join('/');

/** The repository's tracked files; without git (an unpacked archive), every file outside the build's output. */
function trackedFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\0').filter(Boolean);
  } catch {
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
      if (['node_modules', 'dist', 'data', '.git'].includes(name)) return [];
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [relative(ROOT, path)];
    });
    return walk(ROOT);
  }
}

test('the repository stands alone: no tracked file reads or names the workspace folder beside it', () => {
  const hits: string[] = [];
  for (const file of trackedFiles()) {
    let text: string;
    try {
      text = readFileSync(join(ROOT, file), 'utf8');
    } catch {
      continue; // listed but deleted in the working tree
    }
    text.split('\n').forEach((line, i) => {
      if (line.includes(OUTSIDE)) hits.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
    });
  }
  assert.deepEqual(hits, [], `files name ${OUTSIDE}, which a clone does not have:\n${hits.join('\n')}`);
});
