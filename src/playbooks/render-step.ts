import { RENDERED_PARAMS, type ActionName } from './action-params.js';
import { contextOf } from './escaping.js';
import { formatMatcher } from './matchers.js';
import type { Step } from './schema.js';
import { renderParams, type TemplateContext } from './template.js';
import { TemplateError } from './template-syntax.js';

/** A step's parameters rendered and checked against its action's schema, or why they cannot be. Pure. */
export type RenderedStep = { ok: true; params: Record<string, unknown> } | { ok: false; reason: string; params?: unknown };

/** What rendering reads besides the template context. */
export interface RenderOptions {
  /** The parameters to render, when not the step's own `with:` (a dry run marks later steps' outputs). */
  withValue?: unknown;
  /** The labels all the incident's alerts share: a silence's matchers when the step gives none. */
  commonLabels?: Readonly<Record<string, string>>;
}

export function renderStepParams(step: Pick<Step, 'action' | 'with'>, ctx: TemplateContext, options: RenderOptions = {}): RenderedStep {
  let rendered: unknown;
  try {
    rendered = renderParams(options.withValue ?? step.with, ctx, (path) => contextOf(step.action, path));
    if (step.action === 'alertmanager.silence') rendered = withDefaultMatchers(rendered as Record<string, unknown>, options.commonLabels ?? {});
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, reason: err.message };
    throw err;
  }
  const checked = RENDERED_PARAMS[step.action as ActionName].safeParse(rendered);
  if (checked.success) return { ok: true, params: checked.data as Record<string, unknown> };
  const issue = checked.error.issues[0]!;
  return { ok: false, reason: `with.${issue.path.join('.')} ${issue.message} once rendered`, params: rendered };
}

/**
 * A silence without matchers covers the labels the incident's alerts share: written out here, so
 * that the approver sees, and the approval's hash covers, exactly what will be silenced.
 */
function withDefaultMatchers(params: Record<string, unknown>, commonLabels: Readonly<Record<string, string>>): Record<string, unknown> {
  if (params.matchers !== undefined) return params;
  // By name: the stored labels' key order is the database's (jsonb's), not Alertmanager's.
  const labels = Object.entries(commonLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (!labels.length) throw new TemplateError('with.matchers: the incident\'s alerts share no labels, so there is nothing to silence by default: give matchers');
  try {
    return { ...params, matchers: labels.map(([name, value]) => formatMatcher(name, '=', value)) };
  } catch (err) {
    throw new TemplateError(`with.matchers: ${(err as Error).message}: give matchers`);
  }
}
