/**
 * Escaping contexts: how a value is written where its template sits. The context is decided by the
 * parameter (an http step's `url`, a query, a silence matcher) and by the literal text around the
 * template (the URL's path or query, inside or outside a quoted string), never by the playbook's
 * author, so that no label value can change the structure it lands in. Pure.
 */
import { quoteMatcherValue } from './matchers.js';
import { secretVariable, TemplateError, type ParamPath, type TemplatePart } from './template-syntax.js';

/**
 * Where a template's value lands: `url` (percent-encoded path segment or query value), `header`
 * (no line breaks), `promql` and `matcher` (inside a quoted string, escaped), `text-body` (an http
 * step's string body), `plain` (JSON strings, argv items, Slack text: the value as it is).
 */
export type EscapeContext = 'plain' | 'url' | 'header' | 'promql' | 'matcher' | 'text-body';

/** The context of a string at `path` in the `with:` of an `action` step. */
export function contextOf(action: string, path: ParamPath): EscapeContext {
  const [first] = path;
  switch (action) {
    case 'http':
      if (first === 'url') return 'url';
      if (first === 'headers') return 'header';
      return first === 'body' && path.length === 1 ? 'text-body' : 'plain';
    case 'prometheus.query':
    case 'prometheus.query_range':
      return first === 'query' ? 'promql' : 'plain';
    case 'alertmanager.silence':
      return first === 'matchers' ? 'matcher' : 'plain';
    default:
      return 'plain';
  }
}

/** How a template's values go in: one encoder per variable, and a check of the string built. */
export interface TemplatePlan {
  encoders: ((value: string) => string)[];
  /** Throws TemplateError when the string built leaves what the template's literal text allows. */
  check(built: string): void;
}

const asIs = (value: string) => value;
const noCheck = () => {};

/**
 * The plan for a template in `context`, or a TemplateError saying why a template may not stand
 * where it is. Decided from the literal text alone, so `playbooks check` and rendering agree.
 */
export function planTemplate(parts: readonly TemplatePart[], context: EscapeContext): TemplatePlan {
  const variables = parts.flatMap((p) => ('variable' in p ? [p.variable] : []));
  if (!variables.length) return { encoders: [], check: noCheck };
  const secrets = variables.filter((v) => secretVariable(v));
  if (secrets.length) {
    if (context !== 'header') throw new TemplateError(`{{ ${secrets[0]} }}: a secret may only be used in an http step's header values`);
    if (secrets.length < variables.length) throw new TemplateError(`{{ ${secrets[0]} }}: a header value that uses a secret may use no other variable`);
    // Left as written when rendered; the action's call puts the value in, as a header value.
    return { encoders: variables.map(() => asIs), check: noCheck };
  }
  switch (context) {
    case 'plain':
      return { encoders: variables.map(() => asIs), check: noCheck };
    case 'header':
      return { encoders: variables.map(headerValue), check: noCheck };
    case 'text-body':
      if (/^\s*[[{]/.test(literalText(parts))) {
        throw new TemplateError('a JSON body written as text could be broken by a value: write body as a YAML object, whose values stay JSON strings');
      }
      return { encoders: variables.map(() => asIs), check: noCheck };
    case 'url':
      return planUrl(parts);
    case 'promql':
      return planQuoted(parts, PROMQL);
    case 'matcher':
      return planQuoted(parts, MATCHER);
  }
}

const literalText = (parts: readonly TemplatePart[]) => parts.map((p) => ('literal' in p ? p.literal : '')).join('');

/**
 * A header value: data, but a line break (or NUL) would end the header and start another, and HTTP
 * carries no other control character nor any character beyond U+00FF in a header.
 */
function headerValue(variable: string) {
  return (value: string) => {
    if (/[\r\n\0]/.test(value)) throw new TemplateError(`the value of {{ ${variable} }} holds a line break (CR or LF) or NUL, which no header value may hold`);
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) {
      throw new TemplateError(`the value of {{ ${variable} }} holds a character no header value can carry (a control character, or one beyond U+00FF)`);
    }
    return value;
  };
}

// scheme://host[:port] and the character that ends the host.
const ORIGIN_END = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i;

/**
 * A URL: values after the host are percent-encoded as one path segment, or one query (or fragment)
 * value: `/`, `?`, `#`, `%`, `\`, `&`, `=`, spaces and control characters included. A value that is
 * `.` or `..` stays a dot segment whatever the encoding (URL parsers read `%2e` as `.`), so the URL
 * built may have no dot segment, and must start with the URL written before the first template
 * (origin and path prefix): otherwise the step fails, and nothing is sent.
 */
function planUrl(parts: readonly TemplatePart[]): TemplatePlan {
  const first = parts.findIndex((p) => 'variable' in p);
  const prefix = literalText(parts.slice(0, first));
  if (!ORIGIN_END.test(prefix)) {
    throw new TemplateError('a template in a URL may only stand in its path or query: write the scheme, the host and the / after it literally (https://deploy.internal/…)');
  }
  let prefixHref: string;
  try {
    prefixHref = new URL(prefix).href;
  } catch {
    throw new TemplateError(`the URL before its first template, ${prefix}, is not a URL`);
  }
  const variables = parts.filter((p) => 'variable' in p) as { variable: string }[];
  return {
    encoders: variables.map(({ variable }) => (value: string) => {
      try {
        return encodeURIComponent(value);
      } catch {
        throw new TemplateError(`the value of {{ ${variable} }} is not valid Unicode`);
      }
    }),
    check(built) {
      const path = built.replace(/^[^:]*:\/\/[^/?#]*/, '').split(/[?#]/)[0]!;
      if (path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) {
        throw new TemplateError(`once rendered, the URL's path has a . or .. segment (a value is . or ..): ${built.slice(0, 200)}`);
      }
      let href: string;
      try {
        href = new URL(built).href;
      } catch {
        throw new TemplateError(`once rendered, the URL is not a URL: ${built.slice(0, 200)}`);
      }
      if (!href.startsWith(prefixHref)) {
        throw new TemplateError(`once rendered, the URL leaves ${prefixHref}, which the playbook writes literally`);
      }
    },
  };
}

/** A language of quoted strings: which quotes may hold values, how a value is escaped in each. */
interface QuotedLanguage {
  /** Quotes whose strings take escapes: a value may stand inside them. */
  quotes: string;
  /** Quotes of raw strings, which cannot escape a value. */
  raw: string;
  /** Starts a comment to the end of the line. */
  comment?: string;
  escape(value: string, quote: string): string;
  outside: string;
}

// Go's regexp.QuoteMeta: a value inside a regex matches itself only.
const quoteMeta = (value: string) => value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
const CONTROL: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** PromQL strings ("…", '…' with Go escapes; `…` raw), `#` comments. */
const PROMQL: QuotedLanguage = {
  quotes: '"\'', raw: '`', comment: '#',
  escape: (value, quote) => value.replace(/[\\"'\x00-\x1f\x7f]/g, (c) => {
    if (c === '\\' || c === quote) return `\\${c}`;
    if (c === '"' || c === '\'') return c;
    return CONTROL[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }),
  outside: 'a template in a PromQL query must stand inside a "…" or \'…\' string, where its value is escaped; outside one, a value could change the query',
};

/** Alertmanager matchers: the value in "…" with \" \\ \n escapes (matchers.ts reads them back). */
const MATCHER: QuotedLanguage = {
  quotes: '"', raw: '',
  escape: quoteMatcherValue,
  outside: 'a template in a matcher must stand inside its double-quoted value, like service="{{ alert.labels.service }}"',
};

/**
 * Values inside quoted strings: escaped for the quote they are in, and regex-quoted as well when
 * the string is the value of a `=~` or `!~` matcher. A template anywhere else is refused. The
 * literal text alone decides, and an escaped value never ends its string, so the state found in the
 * literals holds once values are in.
 */
function planQuoted(parts: readonly TemplatePart[], lang: QuotedLanguage): TemplatePlan {
  let quote: string | null = null;
  let escaped = false;
  let comment = false;
  let regex = false;
  let before = '';
  const encoders: ((value: string) => string)[] = [];
  for (const part of parts) {
    if ('variable' in part) {
      if (!quote || comment) throw new TemplateError(lang.outside);
      if (lang.raw.includes(quote)) throw new TemplateError(`a template may not stand inside a ${quote}…${quote} raw string, which cannot escape a value`);
      if (escaped) throw new TemplateError('a template may not follow a backslash');
      const [q, re] = [quote, regex];
      encoders.push((value) => lang.escape(re ? quoteMeta(value) : value, q));
      continue;
    }
    for (const c of part.literal) {
      if (comment) {
        comment = c !== '\n';
      } else if (quote) {
        if (escaped) escaped = false;
        else if (c === '\\' && !lang.raw.includes(quote)) escaped = true;
        else if (c === quote) quote = null;
      } else if (c === lang.comment) {
        comment = true;
      } else if ((lang.quotes + lang.raw).includes(c)) {
        quote = c;
        regex = /[=!]~\s*$/.test(before);
      } else {
        before = (before + c).slice(-8);
      }
    }
  }
  return { encoders, check: noCheck };
}
