/**
 * Secrets by reference: `{{ secret.NAME }}` in an http step's header value. What is rendered,
 * stored, hashed for approval and shown keeps the reference; the value is read from
 * FIREBREAK_SECRET_NAME only for the action's call, put where the playbook's own text put the
 * reference (never where a value from an alert holds the same text), and taken out of whatever the
 * call returns. Pure: the reader is handed in.
 */
import { contextOf, planTemplate } from './escaping.js';
import { parseTemplate, secretVariable, TemplateError } from './template-syntax.js';
import { formatProblem, type Playbook } from './validate.js';

/** Reads a secret's environment variable (FIREBREAK_SECRET_…) when a step runs; undefined when unset. */
export type SecretReader = (variable: string) => string | undefined;

/** A secret a step's call was given: its variable and its value, to take back out of what came back. */
export interface Revealed {
  variable: string;
  value: string;
}

/** A step's parameters with their secrets' values in, for one call only, and the values put in. */
export interface WithSecrets {
  params: Record<string, unknown>;
  revealed: Revealed[];
}

/**
 * Puts the secrets' values into the rendered `params` where the step's written parameters (`written`)
 * reference them. Throws TemplateError when a variable is unset or its value cannot go in a header.
 */
export function withSecrets(action: string, written: unknown, params: Record<string, unknown>, read: SecretReader): WithSecrets {
  const revealed: Revealed[] = [];
  const fill = (w: unknown, p: unknown, path: (string | number)[]): unknown => {
    if (typeof w === 'string') {
      const parts = parseTemplate(w);
      if (!parts.some((part) => 'variable' in part && secretVariable(part.variable))) return p;
      // Rendering left a string that uses a secret as written (it may use no other variable).
      if (p !== w) throw new TemplateError(`with.${path.join('.')}: the parameters do not hold the playbook's text, so no secret is put in`);
      planTemplate(parts, contextOf(action, path)); // a secret stands in a header value, alone: or this throws
      return parts.map((part) => {
        if ('literal' in part) return part.literal;
        const variable = secretVariable(part.variable)!;
        const value = read(variable);
        if (!value) throw new TemplateError(`${variable} is not set in firebreak's environment: the step cannot use {{ ${part.variable} }}`);
        revealed.push({ variable, value });
        return headerSafe(variable, value);
      }).join('');
    }
    if (Array.isArray(w) && Array.isArray(p)) return p.map((x, i) => fill(w[i], x, [...path, i]));
    if (w && typeof w === 'object' && p && typeof p === 'object') {
      return Object.fromEntries(Object.entries(p).map(([k, x]) => [k, fill((w as Record<string, unknown>)[k], x, [...path, k])]));
    }
    return p;
  };
  return { params: fill(written, params, []) as Record<string, unknown>, revealed };
}

// What a header value can carry (escaping.ts), said without the value, which must not be shown.
function headerSafe(variable: string, value: string): string {
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
    throw new TemplateError(`${variable} holds a line break, a control character or a character beyond U+00FF, which no header value can carry`);
  }
  return value;
}

/** `value` (a string, or strings anywhere inside it) with every revealed secret replaced by its name. */
export function hideSecrets<T>(value: T, revealed: readonly Revealed[]): T {
  if (!revealed.length) return value;
  const hide = (v: unknown): unknown => {
    if (typeof v === 'string') return revealed.reduce((text, r) => text.replaceAll(r.value, `[secret ${r.variable}]`), v);
    if (Array.isArray(v)) return v.map(hide);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hide(x)]));
    return v;
  };
  return hide(value) as T;
}

/** "file:line: path: FIREBREAK_SECRET_X is not set…" for each secret reference whose variable is unset. */
export function unsetSecrets(playbooks: readonly Playbook[], isSecretSet: (variable: string) => boolean): string[] {
  return playbooks.flatMap((p) => p.secrets.filter((s) => !isSecretSet(s.variable)).map((s) =>
    formatProblem({ file: p.file, path: s.path, line: s.line, reason: `${s.variable} is not set: the step will fail until it is` })));
}

/** One use of a secret in a playbook: where, and the environment variable it reads. */
export interface SecretUse {
  variable: string;
  /** Where in the file: steps[2].with.headers.Authorization. */
  path: string;
  line?: number;
}

// Headers that carry credentials by name: their values are shown masked.
const SENSITIVE_HEADER = /^(?:authorization|proxy-authorization|cookie|set-cookie)$|api[-_]?key|token|secret|passw|session|credential|signature|auth/i;
const REFERENCES_ONLY = /^(?:[A-Za-z][\w-]*\s+)?(?:\{\{\s*secret\.[A-Z][A-Z0-9_]*\s*\}\}\s*)+$/;

/**
 * Parameters as people are shown them: the values of headers whose names carry credentials
 * (authorization, cookie, x-api-key, …) masked, keeping an auth scheme and secret references,
 * which are no secret. Anything else is returned as it is.
 */
export function displayParams(action: string, params: unknown): unknown {
  const headers = action === 'http' && params && typeof params === 'object' ? (params as { headers?: unknown }).headers : undefined;
  if (!headers || typeof headers !== 'object') return params;
  const masked = Object.entries(headers as Record<string, unknown>).map(([name, value]) => {
    if (!SENSITIVE_HEADER.test(name) || typeof value !== 'string' || REFERENCES_ONLY.test(value)) return [name, value];
    const scheme = /^(?:bearer|basic|token|bot|digest|negotiate)\s+/i.exec(value)?.[0] ?? '';
    return [name, `${scheme}[masked]`];
  });
  return { ...(params as object), headers: Object.fromEntries(masked) };
}
