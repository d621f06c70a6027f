import { LineCounter, parseDocument, type Document } from 'yaml';
import { sha256 } from '../lib/canonical-json.js';
import { parseMatcher, type Matcher } from './matchers.js';
import { playbookSchema, type PlaybookDefinition } from './schema.js';
import { contextOf, planTemplate } from './escaping.js';
import { staticProblem, stringsIn } from './template.js';
import type { SecretUse } from './secrets.js';
import { parseTemplate, secretVariable, TemplateError } from './template-syntax.js';

/** Something wrong in a playbook file: where, and why. */
export interface Problem {
  file: string;
  /** Where in the document, like steps[2].approval.timeout (empty: the file as a whole). */
  path: string;
  line?: number;
  reason: string;
}

/** A playbook that passed every check, ready to match and run. */
export interface Playbook {
  definition: PlaybookDefinition;
  matchers: Matcher[];
  file: string;
  /** SHA-256 of the file's text: which version of the playbook a run used. */
  hash: string;
  /** The secrets its steps reference (`{{ secret.NAME }}`), to say which are not set. */
  secrets: SecretUse[];
  /** The line of each step's `action:`, by step index: where `playbooks check` points. */
  actionLines: (number | undefined)[];
}

/** "file:line: path: reason", as `playbooks check` prints it and the log says it. */
export function formatProblem(p: Problem): string {
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${p.path ? `${p.path}: ` : ''}${p.reason}`;
}

const pathText = (path: readonly PropertyKey[]) =>
  path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');

/** Checks one playbook file's text: YAML, schema, matchers, templates. Pure. */
export function validatePlaybook(source: string, file: string): { playbook?: Playbook; problems: Problem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problem = (path: readonly PropertyKey[], reason: string): Problem => ({
    file, path: pathText(path), line: lineOf(doc, lines, path), reason,
  });
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((e) => ({
        file, path: '', line: e.linePos?.[0]?.line, reason: `not valid YAML: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  const parsed = playbookSchema.safeParse(doc.toJS({ maxAliasCount: 50 }));
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => problem(i.path, i.message)) };
  const definition = parsed.data as PlaybookDefinition;
  const problems: Problem[] = [];

  const matchers: Matcher[] = [];
  definition.match.forEach((text, i) => {
    try {
      matchers.push(parseMatcher(text));
    } catch (err) {
      problems.push(problem(['match', i], (err as Error).message));
    }
  });

  const seen = new Set<string>();
  const secrets: SecretUse[] = [];
  definition.steps.forEach((step, i) => {
    if (seen.has(step.id)) problems.push(problem(['steps', i, 'id'], `the id "${step.id}" is used by an earlier step`));
    for (const [where, text] of stringsIn(step.with)) {
      const at = ['steps', i, 'with', ...where];
      try {
        const parts = parseTemplate(text);
        for (const part of parts) {
          const reason = 'variable' in part ? staticProblem(part.variable, seen) : undefined;
          if (reason) problems.push(problem(at, reason));
          const variable = 'variable' in part ? secretVariable(part.variable) : undefined;
          if (variable) secrets.push({ variable, path: pathText(at), line: lineOf(doc, lines, at) });
        }
        planTemplate(parts, contextOf(step.action, where));
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        problems.push(problem(at, err.message));
      }
    }
    const a = step.approval;
    if (a && a.approvers.every((x) => x.startsWith('U') || x.startsWith('W')) && new Set(a.approvers).size < a.min_approvals) {
      problems.push(problem(['steps', i, 'approval', 'min_approvals'], `needs ${a.min_approvals} approvers but only ${new Set(a.approvers).size} are listed`));
    }
    if (step.action === 'alertmanager.silence') {
      ((step.with.matchers ?? []) as string[]).forEach((m, j) => {
        if (m.includes('{{')) return;
        try {
          parseMatcher(m);
        } catch (err) {
          problems.push(problem(['steps', i, 'with', 'matchers', j], (err as Error).message));
        }
      });
    }
    seen.add(step.id);
  });
  if (problems.length) return { problems };
  const actionLines = definition.steps.map((_, i) => lineOf(doc, lines, ['steps', i, 'action']));
  return { playbook: { definition, matchers, file, hash: sha256(source), secrets, actionLines }, problems };
}

function lineOf(doc: Document, lines: LineCounter, path: readonly PropertyKey[]): number | undefined {
  // The deepest node on the path that exists (a missing key is reported at its parent).
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}
