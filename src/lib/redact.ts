/**
 * Secrets taken out of captured text before it is stored, posted or logged. Each pattern keeps
 * enough context (the key name, the scheme) for a reader to see that something was there.
 */
const RULES: [RegExp, string][] = [
  // Headers that carry credentials, in request dumps and logs (curl -v, "X-Api-Key: …"): the value
  // to the end of the line, an auth scheme kept. First, so that the line is one redaction.
  [/\b((?:x-)?(?:api[-_]?key|auth[-_]?token|access[-_]?token|private[-_]?token|vault[-_]?token|amz-security-token)|proxy-authorization|authorization|cookie|set-cookie)([ \t]*:[ \t]*)((?:bearer|basic|token|bot|digest|negotiate)[ \t]+)?[^\r\n"]+/gi, '$1$2$3[redacted]'],
  // PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, PKCS#8…), to their END line or the end of the text.
  [/-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g, '[redacted private key]'],
  // JWTs (JWS): base64url header and payload, both JSON objects ("eyJ" is `{"`), and a signature.
  [/\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, '[redacted jwt]'],
  [/\b(bearer|basic)\s+(?!\[redacted)[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g, '[redacted aws key id]'],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, '[redacted google api key]'],
  [/\bxox[abposre]-[A-Za-z0-9-]{10,}/g, '[redacted slack token]'],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, '[redacted slack token]'],
  [/\bhttps:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9/_-]+/g, '[redacted slack webhook]'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, '[redacted github token]'],
  [/\bgithub_pat_[A-Za-z0-9_]{22,}/g, '[redacted github token]'],
  [/\bglpat-[A-Za-z0-9_-]{20,}/g, '[redacted gitlab token]'],
  [/\bnpm_[A-Za-z0-9]{36}\b/g, '[redacted npm token]'],
  [/\blin_(?:api|oauth)_[A-Za-z0-9]{20,}/g, '[redacted linear key]'],
  [/\b[rs]k_live_[A-Za-z0-9]{16,}/g, '[redacted stripe key]'],
  // "password": "…" in JSON, and password=… / password: … in text, env dumps, URLs' query strings.
  [/("(?:[a-z_]*password|passwd|secret|[a-z_]*token|api[_-]?key|apikey|[a-z_]*secret_?access_?key|client_secret|authorization|cookie)")\s*:\s*"(?:[^"\\]|\\.)*"/gi, '$1: "[redacted]"'],
  [/\b([a-z_]*password|passwd|pwd|secret|[a-z_]*secret_access_key|client_secret|api_?key|[a-z_]*token)(\s*[=:]\s*)(?!\[redacted)("[^"]*"|'[^']*'|[^\s&,;"']+)/gi, '$1$2[redacted]'],
  // Credentials in URLs: scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:)[^\s@/]+@/gi, '$1[redacted]@'],
];

// Text that none of the rules could match skips them all: most log lines and much evidence.
const CANDIDATE = /key|token|secret|passw|pwd|bearer|basic|auth|cookie|eyJ|xox|xapp|hooks\.slack|gh[pousr]_|github_pat|glpat|AKIA|ASIA|ABIA|ACCA|AIza|npm_|lin_|k_live_|:\/\/[^\s:/@]+:/i;

/** `text` with secrets replaced, and how many were. */
export function redactSecrets(text: string): { text: string; count: number } {
  if (!CANDIDATE.test(text)) return { text, count: 0 };
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

/** A log line's fields with secrets redacted from their strings (nested objects included, a few levels deep). */
export function redactFields<T>(value: T, depth = 4): T {
  if (typeof value === 'string') return redactSecrets(value).text as T;
  // Errors are left to pino's serializer (firebreak logs their messages as strings, redacted here).
  if (depth === 0 || !value || typeof value !== 'object' || value instanceof Date || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v: unknown) => redactFields(v, depth - 1)) as T;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactFields(v, depth - 1)])) as T;
}
