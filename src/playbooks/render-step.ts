import { RENDERED_PARAMS, type ActionName } from './action-params.js';
import { contextOf } from './escaping.js';
import type { Step } from './schema.js';
import { renderParams, type TemplateContext } from './template.js';
import { TemplateError } from './template-syntax.js';

/** A step's parameters rendered and checked against its action's schema, or why they cannot be. Pure. */
export type RenderedStep = { ok: true; params: Record<string, unknown> } | { ok: false; reason: string; params?: unknown };

/** What rendering reads besides the template context. */
export interface RenderOptions {
  /** The parameters to render, when not the step's own `with:` (a dry run marks later steps' outputs). */
  withValue?: unknown;
}

export function renderStepParams(step: Pick<Step, 'action' | 'with'>, ctx: TemplateContext, options: RenderOptions = {}): RenderedStep {
  let rendered: unknown;
  try {
    rendered = renderParams(options.withValue ?? step.with, ctx, (path) => contextOf(step.action, path));
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, reason: err.message };
    throw err;
  }
  const checked = RENDERED_PARAMS[step.action as ActionName].safeParse(rendered);
  if (checked.success) return { ok: true, params: checked.data as Record<string, unknown> };
  const issue = checked.error.issues[0]!;
  return { ok: false, reason: `with.${issue.path.join('.')} ${issue.message} once rendered`, params: rendered };
}
