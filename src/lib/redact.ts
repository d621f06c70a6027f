/**
 * Secrets taken out of captured text before it is stored or posted. Each pattern keeps enough
 * context (the key name, the scheme) for a reader to see that something was there.
 */
const RULES: [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[redacted private key]'],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, '[redacted aws key id]'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, '[redacted google api key]'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, '[redacted slack token]'],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, '[redacted slack token]'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, '[redacted github token]'],
  [/\bglpat-[A-Za-z0-9_-]{20,}/g, '[redacted gitlab token]'],
  // "password": "…" in JSON, and password=… / password: … in text, env dumps, URLs' query strings.
  [/("(?:[a-z_]*password|passwd|secret|[a-z_]*token|api_?key|apikey|secret_access_key|client_secret)")\s*:\s*"(?:[^"\\]|\\.)*"/gi, '$1: "[redacted]"'],
  [/\b([a-z_]*password|passwd|pwd|secret|[a-z_]*secret_access_key|client_secret|api_?key|[a-z_]*token)(\s*[=:]\s*)(?!\[redacted)("[^"]*"|'[^']*'|[^\s&,;"']+)/gi, '$1$2[redacted]'],
  // Credentials in URLs: scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, '$1[redacted]@'],
];

/** `text` with secrets replaced, and how many were. */
export function redactSecrets(text: string): { text: string; count: number } {
  let count = 0;
  let out = text;
  for (const [pattern, replacement] of RULES) {
    out = out.replace(pattern, (...args: unknown[]) => {
      count++;
      const groups = args.slice(1, -2) as (string | undefined)[];
      return replacement.replace(/\$(\d)/g, (_m, n: string) => groups[Number(n) - 1] ?? '');
    });
  }
  return { text: out, count };
}
