import { maskUrlCredentials } from '@ordercast/platform';
import type { EventStatus, EventTrigger } from '../events/event-types';
import type { HttpResult } from './http-invoker';
import { retryDelay, RetryPolicy } from './retry-schedule';

export const TARGET_DISABLED_ERROR = 'target disabled (410 Gone)';

/** Why an attempt to a registration deleted from its order, or to a deleted subscription, is not sent. */
export const REGISTRATION_DELETED = 'registration deleted';
export const SUBSCRIPTION_DELETED = 'subscription deleted';

export interface AttemptVerdict {
  status: Exclude<EventStatus, 'pending'>;
  error: string | null;
  /** Delay of the next automatic attempt, when there is one. */
  retryInMs: number | null;
  /** 410 Gone: the receiver asked never to be called again. */
  disableTarget: boolean;
}

/**
 * What one attempt's result means. Only 2xx succeeds; a redirect is not followed and fails.
 * Automatic attempts are retried on the schedule and the last one is `dead` (so is one that failed
 * for a reason no retry can fix); operator retries and manual sends are single attempts, so their
 * failure is `failed` with nothing scheduled. A redirect's Location is quoted with its credentials masked.
 */
export function judgeAttempt(
  attempt: { attempt: number; trigger: EventTrigger },
  result: HttpResult,
  policy: RetryPolicy,
  now: Date,
  random: () => number = Math.random,
): AttemptVerdict {
  const statusCode = result.kind === 'response' ? result.statusCode : null;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { status: 'succeeded', error: null, retryInMs: null, disableTarget: false };
  const automatic = attempt.trigger === 'automatic';
  if (statusCode === 410) return { status: automatic ? 'dead' : 'failed', error: TARGET_DISABLED_ERROR, retryInMs: null, disableTarget: true };
  const error = result.kind === 'error' ? result.error : describeStatus(result.statusCode, result.headers);
  const retryAfter = result.kind === 'response' ? result.headers['retry-after'] ?? null : null;
  const retry = result.kind === 'error' && result.permanent ? null : { statusCode, retryAfter };
  return failedAttempt(attempt, error, retry, policy, now, random);
}

/**
 * The verdict on a failed attempt, for webhooks and email alike: an operator retry or manual send
 * is a single attempt, so `failed`; an automatic one is retried on the schedule (`retry` says what
 * the delay may depend on; null: never retried), and the last one is `dead`.
 */
export function failedAttempt(
  attempt: { attempt: number; trigger: EventTrigger },
  error: string,
  retry: { statusCode: number | null; retryAfter: string | null } | null,
  policy: RetryPolicy,
  now: Date,
  random: () => number,
): AttemptVerdict {
  if (attempt.trigger !== 'automatic') return { status: 'failed', error, retryInMs: null, disableTarget: false };
  const retryInMs = retry === null ? null : retryDelay({ attempt: attempt.attempt, ...retry }, policy, now, random);
  return { status: retryInMs === null ? 'dead' : 'failed', error, retryInMs, disableTarget: false };
}

function describeStatus(statusCode: number, headers: Record<string, string>): string {
  if (statusCode >= 300 && statusCode < 400) {
    return headers.location ? `redirect (${statusCode}) to ${maskUrlCredentials(headers.location.slice(0, 500))} not followed` : `redirect (${statusCode}) not followed`;
  }
  return `HTTP ${statusCode}`;
}
