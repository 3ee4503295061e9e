import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeliveryKind, HttpMethod } from '@ordercast/contracts';
import type { EventStatus, EventTrigger } from './event-types';

/**
 * One attempt of a delivery (Norce's Event). The body and target live once in its message;
 * the columns the events API filters on are copied here so every query stays on this table's
 * indexes. Indexes are declared in the migration (text_pattern_ops and partial ones).
 */
@Entity({ schema: 'notifications', name: 'events' })
@Index('events_message_attempt_key', ['messageId', 'attempt'], { unique: true })
export class EventEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ name: 'message_id', type: 'uuid' })
  messageId!: string;

  @Column({ type: 'text' })
  merchant!: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId!: string;

  @Column({ type: 'text' })
  channel!: string;

  @Column({ name: 'notification_id', type: 'text', nullable: true })
  notificationId!: string | null;

  @Column({ name: 'subscription_id', type: 'uuid', nullable: true })
  subscriptionId!: string | null;

  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column({ type: 'text' })
  scope!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  delivery!: DeliveryKind;

  @Column({ type: 'int' })
  attempt!: number;

  @Column({ name: 'retry_of', type: 'uuid', nullable: true })
  retryOf!: string | null;

  @Column({ type: 'text' })
  trigger!: EventTrigger;

  @Column({ type: 'text' })
  status!: EventStatus;

  /** The URL called (query values sealed) when not its message's: a subscription's retry after its URL moved. */
  @Column({ name: 'request_url', type: 'text', nullable: true })
  requestUrl!: string | null;

  /** The method used when not its message's (see requestUrl). */
  @Column({ name: 'request_method', type: 'text', nullable: true })
  requestMethod!: HttpMethod | null;

  /** The headers as sent, masked; null until attempted. */
  @Column({ name: 'request_headers', type: 'jsonb', nullable: true })
  requestHeaders!: Record<string, string> | null;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode!: number | null;

  @Column({ name: 'response_body', type: 'text', nullable: true })
  responseBody!: string | null;

  @Column({ name: 'response_truncated', type: 'boolean', default: false })
  responseTruncated!: boolean;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ name: 'duration_ms', type: 'int', nullable: true })
  durationMs!: number | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** When a pending attempt is due; on a failed one, when its retry is due. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt!: Date | null;

  /**
   * On the first attempt of an ordered message: the message (webhook-id) sent before it, which it
   * waited for. While that one is unfinished this attempt is pending with no due time.
   */
  @Column({ name: 'held_by', type: 'uuid', nullable: true })
  heldBy!: string | null;

  /** A dispatcher's claim; an expired lease makes the row claimable again. */
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true })
  leaseUntil!: Date | null;

  /** The dispatcher instance holding the lease; only it may record the attempt's result. */
  @Column({ name: 'lease_owner', type: 'uuid', nullable: true })
  leaseOwner!: string | null;
}
