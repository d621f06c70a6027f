import { RE2JS } from 're2js';

/**
 * Alertmanager label matchers: `name="value"`, `name!="value"`, `name=~"regex"`, `name!~"regex"`.
 * As in Alertmanager, a regex must match the whole value (it is anchored as `^(?:…)$`), and a label
 * that is not set matches as the empty string.
 *
 * Regexes run on RE2 (re2js, a pure-JavaScript port of Go's regexp), as Alertmanager's do: the same
 * syntax (no lookaround, no backreferences), and time linear in the label's length. A label value is
 * attacker-controlled; JavaScript's backtracking RegExp takes time quadratic or worse in it.
 */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  /** The anchored regex, for `=~` and `!~`. */
  regex?: RE2JS;
  /** As written, for messages. */
  text: string;
}

// The name and the operator; the value is the rest. (One regex over the whole text, with a lazy
// value before trailing spaces, would take time quadratic in a rendered value's length.)
const NAME_OP = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*/;

/** Parses one matcher, or throws an Error saying what is wrong with it. */
export function parseMatcher(text: string): Matcher {
  const m = NAME_OP.exec(text);
  if (!m) throw new Error(`"${shown(text)}" is not a matcher (like alertname="HighErrorRate" or service=~"checkout|payments")`);
  const [head, name, op] = m as unknown as [string, string, Matcher['op']];
  const value = unquote(text.slice(head.length).trimEnd());
  const matcher: Matcher = { name, op, value, text };
  if (op === '=~' || op === '!~') {
    try {
      matcher.regex = RE2JS.compile(`^(?:${value})$`);
    } catch (err) {
      throw new Error(`"${shown(text)}": the regex is invalid (RE2 syntax, as Alertmanager's): ${(err as Error).message}`);
    }
  }
  return matcher;
}

// Rendered matchers hold alert values of any length: messages show their start.
const shown = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

// A double-quoted value with \" \\ \n escapes, as Alertmanager writes them; or a bare word.
function unquote(quoted: string): string {
  const raw = shown(quoted);
  if (!quoted.startsWith('"')) {
    if (/[\s"{},]/.test(quoted)) throw new Error(`the value ${raw} must be double-quoted`);
    return quoted;
  }
  if (quoted.length < 2 || !quoted.endsWith('"')) throw new Error(`the value ${raw} has no closing quote`);
  let out = '';
  for (let i = 1; i < quoted.length - 1; i++) {
    const c = quoted[i]!;
    if (c === '"') throw new Error(`the value ${raw} has a quote inside it (write \\")`);
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = quoted[++i];
    if (i === quoted.length - 1) throw new Error(`the value ${raw} has no closing quote (its last quote is escaped)`);
    if (next === 'n') out += '\n';
    else if (next === '"' || next === '\\') out += next;
    else throw new Error(`the value ${raw} has an unknown escape \\${next ?? ''}`);
  }
  return out;
}

/** A matcher's text, the value quoted and escaped as parseMatcher reads it; throws for a name no matcher can hold. */
export function formatMatcher(name: string, op: Matcher['op'], value: string): string {
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(name)) throw new Error(`the label name ${JSON.stringify(name)} cannot be written as a matcher`);
  return `${name}${op}"${quoteMatcherValue(value)}"`;
}

/** A value inside a matcher's double quotes: \\, \" and \n escaped, as Alertmanager writes them. */
export const quoteMatcherValue = (value: string): string => value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** Whether the labels satisfy one matcher. */
export function matches(m: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[m.name] ?? '';
  switch (m.op) {
    case '=': return value === m.value;
    case '!=': return value !== m.value;
    // A search, as Go's MatchString is: the anchors are the pattern's own (so "a)|(b" is "starts with
    // a or ends with b", as in Alertmanager). It is also RE2's fastest path: a whole-value match was
    // about twice as slow on long values.
    case '=~': return m.regex!.test(value);
    case '!~': return !m.regex!.test(value);
  }
}

/** Whether the labels satisfy every matcher. */
export const matchesAll = (ms: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean =>
  ms.every((m) => matches(m, labels));
