/**
 * How hard to try one report. Bounded on purpose: a status is worth a few seconds of a
 * pipeline step, not minutes, and a provider that asks for a longer pause is not waited for.
 */
export interface RetryPolicy {
  /** Attempts in all, the first included. @default 3 */
  readonly maxAttempts: number;
  /** First backoff when the provider gives no `Retry-After`; doubles per attempt, with jitter. @default 500 */
  readonly baseDelayMs: number;
  /** The longest single pause; a `Retry-After` beyond it ends the report as failed. @default 10000 */
  readonly maxDelayMs: number;
}

/** Three attempts; backoff of up to 0.5 s then 1 s, or a `Retry-After` pause of up to 10 s between them. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 10_000 };

/**
 * Worth another attempt: rate limiting (429, and GitHub's secondary limit, a 403 with
 * `Retry-After`) and server errors. Other 4xx answers will not change on their own.
 */
export function isRetryable(status: number, headers: Readonly<Record<string, string>>): boolean {
  return status === 429 || status >= 500 || (status === 403 && headers['retry-after'] !== undefined);
}

/** `Retry-After` in milliseconds from `now`: delta-seconds or an HTTP-date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with full jitter after attempt `attempt` (1-based), capped at `maxDelayMs`. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
