import type { EventTrigger } from '../events/event-types';
import { AttemptVerdict, failedAttempt } from './attempt-verdict';
import type { MailReply } from './mailer.port';
import type { RetryPolicy } from './retry-schedule';

/** What one email attempt came to: the server's reply, or an error before there was one. */
export type EmailOutcome = ({ kind: 'reply' } & MailReply) | { kind: 'error'; error: string };

/**
 * What one email attempt means. Accepted succeeds. A permanent refusal (5xx, such as an unknown
 * recipient) would be refused again, so an automatic attempt is dead at once; a temporary one
 * (4xx) and a failure to reach the server are retried on the schedule like a webhook's network
 * error. Operator retries and manual sends are single attempts, as for webhooks.
 */
export function judgeEmail(
  attempt: { attempt: number; trigger: EventTrigger },
  outcome: EmailOutcome,
  policy: RetryPolicy,
  now: Date,
  random: () => number = Math.random,
): AttemptVerdict {
  if (outcome.kind === 'reply' && outcome.accepted) return { status: 'succeeded', error: null, retryInMs: null, disableTarget: false };
  const error = outcome.kind === 'reply' ? `SMTP refused: ${outcome.response}` : outcome.error;
  const permanent = outcome.kind === 'reply' && outcome.permanent;
  return failedAttempt(attempt, error, permanent ? null : { statusCode: null, retryAfter: null }, policy, now, random);
}
