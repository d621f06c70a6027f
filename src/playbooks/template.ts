/**
 * Templates in step parameters: `{{ alert.labels.service }}`, `{{ incident.number }}`,
 * `{{ steps.<id>.output.<path> }}`, `{{ secret.NAME }}`. Substitution only: a template names a value
 * and nothing in it is run. An unknown variable is an error, never an empty string. Each value is
 * escaped for where its template sits (escaping.ts): the playbook's author does not choose.
 */
import { planTemplate, type EscapeContext } from './escaping.js';
import { parseTemplate, secretVariable, TemplateError, type ParamPath } from './template-syntax.js';

/** What templates can read. Alert values are untrusted and stay data. */
export interface TemplateContext {
  alert: { labels: Record<string, string>; annotations: Record<string, string> };
  incident: { id: number; number: number; ref: string; severity: string; title: string; status: string };
  /** Outputs of the steps that ran before, by step id. */
  steps: Record<string, { output: unknown; status: string }>;
}

const INCIDENT_FIELDS = ['id', 'number', 'ref', 'severity', 'title', 'status'];

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
    case 'secret':
      if (secretVariable(path)) return undefined;
      return `unknown variable ${path}: use secret.NAME (capitals, digits and _), read from FIREBREAK_SECRET_NAME`;
    default:
      return `unknown variable ${path}: variables start with alert., incident., steps. or secret.`;
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

/**
 * Renders one string, each value escaped for `context`. A string that uses a secret is left as
 * written: it holds the reference, which only the action's call replaces (secrets.ts).
 */
export function renderString(text: string, ctx: TemplateContext, context: EscapeContext = 'plain'): string {
  const parts = parseTemplate(text);
  const plan = planTemplate(parts, context);
  if (parts.some((p) => 'variable' in p && secretVariable(p.variable))) return text;
  let i = 0;
  const built = parts.map((p) => ('literal' in p ? p.literal : plan.encoders[i++]!(lookup(p.variable, ctx)))).join('');
  plan.check(built);
  return built;
}

/** Renders every string in a parameter tree (keys are left as written), each in the context its path gives. */
export function renderParams(value: unknown, ctx: TemplateContext, contextAt: (path: ParamPath) => EscapeContext = () => 'plain', path: ParamPath = []): unknown {
  if (typeof value === 'string') return renderString(value, ctx, contextAt(path));
  if (Array.isArray(value)) return value.map((v, i) => renderParams(v, ctx, contextAt, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderParams(v, ctx, contextAt, [...path, k])]));
  }
  return value;
}

/** Every string in a parameter tree, with its path, for static checks. */
export function stringsIn(value: unknown, path: ParamPath = []): [ParamPath, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => stringsIn(v, [...path, k]));
  return [];
}
