/** The syntax of templates: `{{ path }}` tags between literal text. Shared by rendering, escaping and secrets. */

/** A template split at its tags: literal text, and the variables between. */
export type TemplatePart = { literal: string } | { variable: string };

/** Where a string sits in a step's `with:` (`['headers', 'Authorization']`, `['argv', 2]`). */
export type ParamPath = readonly (string | number)[];

/** A template that cannot be rendered, or may not be written where it is: says why. */
export class TemplateError extends Error {
  override name = 'TemplateError';
}

const TAG = /\{\{(.*?)\}\}/gs;
const PATH = /^[A-Za-z_][\w-]*(?:\.[\w-]+)*$/;
const SECRET = /^secret\.([A-Z][A-Z0-9_]*)$/;

/** The literal text and variables of a string, in order; throws TemplateError for a tag that is not a path. */
export function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of text.matchAll(TAG)) {
    const expr = m[1]!.trim();
    if (!PATH.test(expr)) {
      throw new TemplateError(`{{${m[1]}}} is not a variable: templates only substitute values like {{ alert.labels.service }}`);
    }
    if (m.index > last) parts.push({ literal: text.slice(last, m.index) });
    parts.push({ variable: expr });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  if (parts.some((p) => 'literal' in p && /\{\{|\}\}/.test(p.literal))) throw new TemplateError(`unbalanced {{ or }} in "${text.slice(0, 80)}"`);
  return parts;
}

/** The variable paths a string uses, in order; throws TemplateError for a tag that is not a path. */
export function variablesIn(text: string): string[] {
  return parseTemplate(text).flatMap((p) => ('variable' in p ? [p.variable] : []));
}

/** The environment variable a `secret.NAME` variable reads, or undefined for any other variable. */
export function secretVariable(variable: string): string | undefined {
  const m = SECRET.exec(variable);
  return m ? `FIREBREAK_SECRET_${m[1]}` : undefined;
}
