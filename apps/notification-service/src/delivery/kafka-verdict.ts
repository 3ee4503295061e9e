import type { EventTrigger } from '../events/event-types';
import { AttemptVerdict, failedAttempt } from './attempt-verdict';
import type { ProducedRecord } from './kafka-producer.port';
import type { RetryPolicy } from './retry-schedule';

/** What one Kafka attempt came to: the record's place in the topic, or why it was not written. */
export type KafkaOutcome = ({ kind: 'produced' } & ProducedRecord) | { kind: 'error'; error: string };

/**
 * What one Kafka attempt means. A record the cluster acknowledged succeeds; anything else (cluster
 * unreachable, topic missing, credentials refused, timeout) is retried on the schedule like a
 * webhook's network error, since each of those can be fixed on the merchant's side meanwhile.
 * Operator retries and manual sends are single attempts, as for webhooks.
 */
export function judgeKafka(
  attempt: { attempt: number; trigger: EventTrigger },
  outcome: KafkaOutcome,
  policy: RetryPolicy,
  now: Date,
  random: () => number = Math.random,
): AttemptVerdict {
  if (outcome.kind === 'produced') return { status: 'succeeded', error: null, retryInMs: null, disableTarget: false };
  return failedAttempt(attempt, outcome.error, { statusCode: null, retryAfter: null }, policy, now, random);
}

/** The Event's response body of a produced record: `{"partition":0,"offset":"42"}` (the offset a string, as Kafka's are 64-bit). */
export function producedResponseBody(outcome: KafkaOutcome): string | null {
  return outcome.kind === 'produced' ? JSON.stringify({ partition: outcome.partition, offset: outcome.offset }) : null;
}
