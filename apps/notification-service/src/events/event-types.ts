export const EVENT_STATUSES = ['pending', 'succeeded', 'failed', 'dead'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** Why an attempt exists: the automatic schedule, an operator's retry, or a manual send from the latest snapshot. */
export const EVENT_TRIGGERS = ['automatic', 'retry', 'manual'] as const;
export type EventTrigger = (typeof EVENT_TRIGGERS)[number];

/** The scope label of deliveries sent by `POST /orders/{orderId}/trigger`. */
export const MANUAL_SCOPE = 'manual';
/** The body `type` of deliveries sent by `POST /orders/{orderId}/trigger`. */
export const MANUAL_TYPE = 'order.notification.triggered';

/** The response recorded on a poll delivery's attempt: it succeeds when the message is on the merchant's poll queue. */
export const POLL_QUEUED_RESPONSE = 'queued for polling';

/** The columns {@link newAttemptOutcome} fills, in its order. */
export const NEW_ATTEMPT_OUTCOME_COLUMNS = 'status, next_attempt_at, response_body, completed_at';

/**
 * SQL values of {@link NEW_ATTEMPT_OUTCOME_COLUMNS} for a new attempt: pending and due at once, or,
 * for a poll delivery (queued by the caller in the same transaction), succeeded at once; failed, and
 * not to be queued, when `goneReason` (SQL, the reason its target is disabled or deleted) is not null.
 */
export function newAttemptOutcome(delivery: string, createdAt: string, queuedResponse: string, goneReason = 'NULL'): string {
  return `CASE WHEN ${delivery} <> 'poll' THEN 'pending' WHEN ${goneReason} IS NULL THEN 'succeeded' ELSE 'failed' END,
          CASE WHEN ${delivery} = 'poll' THEN NULL ELSE ${createdAt} END,
          CASE WHEN ${delivery} = 'poll' AND ${goneReason} IS NULL THEN ${queuedResponse} END,
          CASE WHEN ${delivery} = 'poll' THEN ${createdAt} END`;
}

/**
 * SQL: the advisory lock key of an ordered sequence (merchant, target, order). Ingest takes it
 * before linking a new message to the one before it, and the result writer before releasing the
 * messages waiting for a finished one. A hash collision only serialises two sequences more than needed.
 */
export function orderedKeyLock(merchant: string, targetId: string, orderId: string): string {
  return `hashtextextended('ordercast.ordered' || chr(31) || ${merchant} || chr(31) || ${targetId} || chr(31) || ${orderId}, 0)`;
}
