/** How long to wait before retry number `attempt` (1 = the first retry), with jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random, baseMs = 1_000, maxMs = 5 * 60_000): number {
  // Exponential, capped at 5 minutes: with the default 25 attempts a job keeps trying for about
  // 1.5 hours (a notification about an open incident keeps trying at the cap for as long as it is
  // open). "Equal jitter" (half fixed, half random) spreads replicas' retries without ever retrying
  // at once.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
