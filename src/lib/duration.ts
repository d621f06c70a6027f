const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The form a duration is written in: a whole number and a unit (`500ms`, `30s`, `15m`, `2h`, `1d`). */
export const DURATION_PATTERN = /^(\d{1,9})(ms|s|m|h|d)$/;

/** Milliseconds in a duration like `30s`; throws a TypeError naming the value otherwise. */
export function parseDuration(text: string): number {
  const m = DURATION_PATTERN.exec(text.trim());
  if (!m) throw new TypeError(`"${text}" is not a duration (like 500ms, 30s, 15m, 2h, 1d)`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** A short human form: 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s || parts.length === 0) parts.push(`${s}s`);
  return parts.join('');
}
