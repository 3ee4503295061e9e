import { maskSealedHeaders, maskUrlCredentials, SecretBox } from '@ordercast/platform';
import type { HttpMethod } from '@ordercast/contracts';
import type { EventStatus, EventTrigger } from './event-types';

/** An Event as the API returns it (DESIGN section 5). */
export interface EventRecord {
  id: string;
  messageId: string;
  orderId: string;
  merchant: string;
  channel: string;
  notificationId: string | null;
  subscriptionId: string | null;
  reference: string | null;
  scope: string;
  type: string;
  attempt: number;
  retryOf: string | null;
  trigger: EventTrigger;
  status: EventStatus;
  request: { url: string | null; method: HttpMethod; headers: Record<string, string> };
  statusCode: number | null;
  responseBody: string | null;
  responseTruncated: boolean;
  error: string | null;
  durationMs: number | null;
  createdAt: string;
  completedAt: string | null;
  nextAttemptAt: string | null;
  /** The target is `ordered`: one order's deliveries to it go one at a time, in change order. */
  ordered: boolean;
  /** The order's version, for a delivery in an ordered target's sequence; null otherwise. */
  sequence: number | null;
  /** An attempt of an ordered target that does not take its turn in the sequence: an operator retry or a manual send. */
  outOfSequence: boolean;
  /** While this pending attempt waits for an earlier delivery of the order to the same target: that delivery's messageId (webhook-id). */
  waitingFor: string | null;
  /** The later deliveries (messageIds) that waited for this one to succeed or go dead; they were released when it did. */
  heldBack: string[];
}

/**
 * What every Event query reads from: the Event `e`, its message `m`, and for a pending attempt of a
 * subscription still of its delivery kind, the subscription `s`, where that attempt will go (see
 * dispatch.repository's currentTarget).
 */
export const EVENT_SOURCES = `"notifications"."events" e JOIN "notifications"."messages" m ON m.id = e.message_id
  LEFT JOIN "notifications"."subscriptions" s ON s.id = e.subscription_id AND e.status = 'pending' AND s.delivery = e.delivery`;

/**
 * The columns every Event query selects from {@link EVENT_SOURCES}. The request is the one made (the
 * attempt's own URL and method when not its message's), or for a pending attempt the one it will make.
 */
export const EVENT_COLUMNS = `e.id, e.message_id, e.order_id, e.merchant, e.channel, e.notification_id, e.subscription_id, e.reference, e.scope, e.type,
  e.attempt, e.retry_of, e.trigger, e.status, e.request_headers, e.status_code, e.response_body, e.response_truncated, e.error, e.duration_ms,
  e.created_at, e.completed_at, e.next_attempt_at,
  coalesce(e.request_url, CASE WHEN s.id IS NULL THEN m.url ELSE s.url END) AS url,
  coalesce(e.request_method, CASE WHEN s.id IS NULL THEN m.method ELSE s.method END) AS method,
  CASE WHEN s.id IS NULL THEN m.headers ELSE s.headers END AS message_headers, m.ordered, m.sequence::float8 AS sequence,
  CASE WHEN e.status = 'pending' AND e.next_attempt_at IS NULL THEN e.held_by END AS waiting_for,
  CASE WHEN m.sequence IS NULL THEN '{}'::uuid[]
       ELSE ARRAY(SELECT h.message_id FROM "notifications"."events" h WHERE h.held_by = e.message_id ORDER BY h.created_at) END AS held_back`;

export interface EventRow {
  id: string;
  message_id: string;
  order_id: string;
  merchant: string;
  channel: string;
  notification_id: string | null;
  subscription_id: string | null;
  reference: string | null;
  scope: string;
  type: string;
  attempt: number;
  retry_of: string | null;
  trigger: EventTrigger;
  status: EventStatus;
  request_headers: Record<string, string> | null;
  status_code: number | null;
  response_body: string | null;
  response_truncated: boolean;
  error: string | null;
  duration_ms: number | null;
  created_at: Date;
  completed_at: Date | null;
  next_attempt_at: Date | null;
  url: string | null;
  method: HttpMethod;
  message_headers: Record<string, string>;
  ordered: boolean;
  sequence: number | null;
  waiting_for: string | null;
  held_back: string[];
}

/** Before an attempt is made, its request shows the registered headers, masked. */
export function toEventRecord(row: EventRow, box: SecretBox): EventRecord {
  return {
    id: row.id,
    messageId: row.message_id,
    orderId: row.order_id,
    merchant: row.merchant,
    channel: row.channel,
    notificationId: row.notification_id,
    subscriptionId: row.subscription_id,
    reference: row.reference,
    scope: row.scope,
    type: row.type,
    attempt: row.attempt,
    retryOf: row.retry_of,
    trigger: row.trigger,
    status: row.status,
    request: { url: maskUrlCredentials(row.url), method: row.method, headers: row.request_headers ?? maskSealedHeaders(row.message_headers, (value) => box.decrypt(value, 'header-values')) },
    statusCode: row.status_code,
    responseBody: row.response_body,
    responseTruncated: row.response_truncated,
    error: row.error,
    durationMs: row.duration_ms,
    createdAt: row.created_at.toISOString(),
    completedAt: row.completed_at?.toISOString() ?? null,
    nextAttemptAt: row.next_attempt_at?.toISOString() ?? null,
    ordered: row.ordered,
    sequence: row.sequence,
    outOfSequence: row.ordered && (row.sequence === null || row.trigger !== 'automatic'),
    waitingFor: row.waiting_for,
    heldBack: row.held_back,
  };
}
