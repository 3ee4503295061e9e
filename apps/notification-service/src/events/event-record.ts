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
}

/** The columns every Event query selects (events `e` joined with its message `m`). */
export const EVENT_COLUMNS = `e.id, e.message_id, e.order_id, e.merchant, e.channel, e.notification_id, e.subscription_id, e.reference, e.scope, e.type,
  e.attempt, e.retry_of, e.trigger, e.status, e.request_headers, e.status_code, e.response_body, e.response_truncated, e.error, e.duration_ms,
  e.created_at, e.completed_at, e.next_attempt_at, m.url, m.method, m.headers AS message_headers`;

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
  };
}
