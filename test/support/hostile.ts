/**
 * Hostile label values: each was, or could be, a way out of the place a template puts it. The unit
 * tests render them into every escaping context; the integration tests send them through the server.
 */
export const HOSTILE: readonly { name: string; value: string }[] = [
  { name: 'the tab trick (URL parsers drop tabs, so ".\t." is "..")', value: 'x/.\t./.\t./.\t./admin/purge?' },
  { name: 'a query and a fragment that cut the path', value: 'checkout/force?all=1#' },
  { name: 'percent-encoded dots', value: '%2e%2e' },
  { name: 'dot-dot', value: '..' },
  { name: 'dot', value: '.' },
  { name: 'a backslash walk', value: '..\\..\\admin' },
  { name: 'CR/LF (header and request splitting)', value: 'x\r\nX-Injected: 1' },
  { name: 'the PromQL break-out', value: 'x"}[5m])) or on() group_left() (up{job=~".+"}' },
  { name: 'a single-quote break-out', value: "x'} or up{a='" },
  { name: 'a query parameter', value: 'checkout&force=1' },
  { name: 'a regex that matches everything', value: '.*' },
  { name: 'template text', value: '{{ incident.number }}{{ secret.DEPLOY_TOKEN }}' },
  { name: 'unicode', value: 'çheckout-日本-😀' },
  { name: 'a lone trailing backslash', value: 'x\\' },
];

/** The hostile values that are whole path segments of their own: no encoding keeps them from walking the path. */
export const DOT_SEGMENTS: ReadonlySet<string> = new Set(['..', '.']);
