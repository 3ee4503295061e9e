/** ±20 %: spreads retries of a burst of failures so they do not hit the target in lockstep. */
export const RETRY_JITTER = 0.2;

export interface RetryPolicy {
  /** Delay before each automatic retry; attempt n + 1 waits `delaysMs[n - 1]`. */
  delaysMs: readonly number[];
  /** Upper bound for a receiver's `Retry-After`. */
  retryAfterMaxMs: number;
}

export interface FailedAttempt {
  /** 1-based number of the attempt that failed. */
  attempt: number;
  statusCode: number | null;
  retryAfter: string | null;
}

/** Attempts an automatic delivery gets in all: the first plus one per scheduled delay. */
export function maxAttempts(policy: RetryPolicy): number {
  return policy.delaysMs.length + 1;
}

/**
 * Milliseconds until the attempt after `failed`, or null when the schedule is exhausted.
 * The scheduled delay gets ±20 % jitter; on 429 and 503 a `Retry-After` later than that is
 * honoured up to `retryAfterMaxMs`, and an earlier one never makes the retry sooner.
 */
export function retryDelay(failed: FailedAttempt, policy: RetryPolicy, now: Date, random: () => number = Math.random): number | null {
  const base = policy.delaysMs[failed.attempt - 1];
  if (base === undefined) return null;
  const scheduled = Math.round(base * (1 + RETRY_JITTER * (2 * random() - 1)));
  if (failed.statusCode !== 429 && failed.statusCode !== 503) return scheduled;
  const asked = parseRetryAfter(failed.retryAfter, now);
  return asked === null ? scheduled : Math.max(scheduled, Math.min(asked, policy.retryAfterMaxMs));
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/[a-z]/i.test(trimmed)) return null;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}
