/**
 * HTML that is safe by construction: `html` escapes every interpolated value unless it is already
 * `Html` (built by `html` itself, or `trusted` for firebreak's own constant markup). Untrusted text
 * (titles, labels, notes, evidence, what people type) only ever reaches a page through it.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Text escaped for an HTML text node or a quoted attribute value. */
export const escapeHtml = (value: string): string => value.replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);

type Value = Html | string | number | boolean | null | undefined | Date | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value instanceof Date) return escapeHtml(value.toISOString());
  return escapeHtml(String(value));
}

/** A template whose every `${value}` is escaped (arrays joined, null/undefined/false left out). */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new Html(out);
}

/** firebreak's own markup, never anything that came from outside. */
export const trusted = (markup: string): Html => new Html(markup);

/**
 * A URL for an href or src: only http(s) (alerts' generator and runbook links come from outside;
 * `javascript:` must not become a link), else undefined.
 */
export function safeUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A postmortem draft's Markdown as HTML: headings, lists, tables, quotes, code blocks, paragraphs,
 * **bold**, _emphasis_ and `code`; every piece of text escaped, no raw HTML, no links (a draft quotes
 * labels and notes).
 */
export function markdownToHtml(markdown: string): Html {
  const out: string[] = [];
  let block: 'ul' | 'table' | undefined;
  let code: string[] | undefined;
  const inline = (t: string) => escapeHtml(t.replace(/\\([\\`*_{}[\]()#+\-.!|<>])/g, '$1'))
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/&#96;(.+?)&#96;/g, '<code>$1</code>')
    .replace(/(^|\s)_([^_]+)_(?=\s|$|[.,;:])/g, '$1<em>$2</em>');
  const close = () => {
    if (block === 'ul') out.push('</ul>');
    if (block === 'table') out.push('</tbody></table>');
    block = undefined;
  };
  const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '').split(/(?<!\\)\|/).map((c) => inline(c.trim()));
  for (const line of markdown.split('\n')) {
    if (code) {
      if (line.startsWith('```')) {
        out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
        code = undefined;
      } else code.push(line);
      continue;
    }
    if (line.startsWith('```')) {
      close();
      code = [];
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    const item = /^\s*[-*]\s+(.*)$/.exec(line);
    const quote = /^>\s?(.*)$/.exec(line);
    if (heading) {
      close();
      const level = Math.min(heading[1]!.length + 1, 5);
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
    } else if (line.trim().startsWith('|')) {
      if (/^\s*\|[\s|:-]+\|?\s*$/.test(line)) continue; // the header's separator
      if (block !== 'table') {
        close();
        block = 'table';
        out.push(`<table><thead><tr>${cells(line).map((c) => `<th>${c}</th>`).join('')}</tr></thead><tbody>`);
      } else out.push(`<tr>${cells(line).map((c) => `<td>${c}</td>`).join('')}</tr>`);
    } else if (item) {
      if (block !== 'ul') {
        close();
        out.push('<ul>');
        block = 'ul';
      }
      out.push(`<li>${inline(item[1]!)}</li>`);
    } else if (quote) {
      close();
      out.push(`<blockquote>${inline(quote[1]!)}</blockquote>`);
    } else if (line.trim()) {
      close();
      out.push(`<p>${inline(line)}</p>`);
    } else close();
  }
  if (code) out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
  close();
  return new Html(out.join('\n'));
}
