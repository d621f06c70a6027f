// Slack channel names: lowercase letters, digits, hyphens and underscores, at most 80 characters.
const MAX = 80;

/**
 * The name of an incident's channel: `inc-<n>-<slug of the title>`, and for `attempt` > 1 (the name
 * was taken) `-<attempt>` at the end. Accents are dropped, anything else outside Slack's alphabet
 * becomes a hyphen; the slug is cut so the whole name, suffix included, fits in 80 characters.
 */
export function incidentChannelName(number: number, title: string, attempt = 1): string {
  const prefix = `inc-${number}`;
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const room = MAX - prefix.length - suffix.length - 1;
  const cutSlug = slug.slice(0, Math.max(0, room)).replace(/-+$/, '');
  return `${prefix}${cutSlug ? `-${cutSlug}` : ''}${suffix}`;
}
