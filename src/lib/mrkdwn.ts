/**
 * Untrusted text (alert labels and annotations, what people type) made safe for Slack mrkdwn.
 * Slack reads `<…>` as links, mentions and `<!channel>` pings, and `&` starts an entity; escaping
 * these three is Slack's documented way to show text as text. Formatting characters (`*`, `_`, `~`)
 * are left alone: at worst they make text bold, never a ping or a link.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * `text` cut to at most `max` characters (UTF-16 units, as Slack counts), ending in "…" when cut.
 * A surrogate pair or an entity from escapeMrkdwn is never split.
 */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  let head = text.slice(0, end);
  const entity = /&[a-z]*$/.exec(head);
  if (entity) head = head.slice(0, entity.index);
  return `${head}…`;
}

/** Escaped and cut: the usual treatment of untrusted text in a mrkdwn field of at most `max` characters. */
export const safeMrkdwn = (text: string, max: number): string => cut(escapeMrkdwn(text), max);

/** An http(s) URL short enough for a Block Kit button, or undefined: nothing else becomes a link. */
export function safeUrl(value: string | null | undefined): string | undefined {
  if (!value || value.length > 3000) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}
