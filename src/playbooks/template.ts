/**
 * Templates in step parameters: `{{ alert.labels.service }}`, `{{ incident.number }}`,
 * `{{ steps.<id>.output.<path> }}`. Substitution only: a template names a value and nothing in it is
 * run. An unknown variable is an error, never an empty string.
 */

/** What templates can read. Alert values are untrusted and stay data. */
export interface TemplateContext {
  alert: { labels: Record<string, string>; annotations: Record<string, string> };
  incident: { id: number; number: number; ref: string; severity: string; title: string; status: string };
  /** Outputs of the steps that ran before, by step id. */
  steps: Record<string, { output: unknown; status: string }>;
}

const TAG = /\{\{(.*?)\}\}/gs;
const PATH = /^[A-Za-z_][\w-]*(?:\.[\w-]+)*$/;
const INCIDENT_FIELDS = ['id', 'number', 'ref', 'severity', 'title', 'status'];

/** A template that cannot be rendered: names the variable and why. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** The variable paths a string uses, in order; throws TemplateError for a tag that is not a path. */
export function variablesIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(TAG)) {
    const expr = m[1]!.trim();
    if (!PATH.test(expr)) {
      throw new TemplateError(`{{${m[1]}}} is not a variable: templates only substitute values like {{ alert.labels.service }}`);
    }
    out.push(expr);
  }
  if (/\{\{|\}\}/.test(text.replace(TAG, ''))) throw new TemplateError(`unbalanced {{ or }} in "${text.slice(0, 80)}"`);
  return out;
}

/**
 * Why a variable can never have a value, judged without an alert (for `playbooks check`), or
 * undefined when it may. `earlierSteps`: ids of the steps before the one using it.
 */
export function staticProblem(path: string, earlierSteps: ReadonlySet<string>): string | undefined {
  const [root, a, b, ...rest] = path.split('.');
  switch (root) {
    case 'alert':
      if ((a === 'labels' || a === 'annotations') && b && rest.length === 0) return undefined;
      return `unknown variable ${path}: use alert.labels.<name> or alert.annotations.<name>`;
    case 'incident':
      if (a && INCIDENT_FIELDS.includes(a) && b === undefined) return undefined;
      return `unknown variable ${path}: incident has ${INCIDENT_FIELDS.join(', ')}`;
    case 'steps':
      if (!a || !earlierSteps.has(a)) return `unknown variable ${path}: no earlier step has the id "${a ?? ''}"`;
      if (b !== 'output' && b !== 'status') return `unknown variable ${path}: use steps.${a}.output or steps.${a}.status`;
      if (b === 'status' && rest.length) return `unknown variable ${path}: steps.${a}.status has no fields`;
      return undefined;
    default:
      return `unknown variable ${path}: variables start with alert., incident. or steps.`;
  }
}

function lookup(path: string, ctx: TemplateContext): string {
  const parts = path.split('.');
  let value: unknown = ctx;
  for (let i = 0; i < parts.length; i++) {
    const key = parts[i]!;
    const here = value as Record<string, unknown> | unknown[] | null | undefined;
    const next = here !== null && typeof here === 'object' && Object.hasOwn(here, key) ? (here as Record<string, unknown>)[key] : undefined;
    if (next === undefined) {
      const where = parts.slice(0, i).join('.');
      throw new TemplateError(i === 0 ? `unknown variable ${path}` : `unknown variable ${path}: ${where} has no "${key}"`);
    }
    value = next;
  }
  if (value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Renders one string. */
export function renderString(text: string, ctx: TemplateContext): string {
  variablesIn(text);
  return text.replace(TAG, (_all, expr: string) => lookup(expr.trim(), ctx));
}

/** Renders every string in a parameter tree (keys are left as written). */
export function renderParams(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') return renderString(value, ctx);
  if (Array.isArray(value)) return value.map((v) => renderParams(v, ctx));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderParams(v, ctx)]));
  }
  return value;
}

/** Every string in a parameter tree, with its path (`argv[2]`), for static checks. */
export function stringsIn(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringsIn(v, path ? `${path}.${k}` : k));
  return [];
}
