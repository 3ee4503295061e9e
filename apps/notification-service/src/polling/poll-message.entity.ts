import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeliveryBody } from '../delivery/delivery-body';

/**
 * One message of a merchant's poll queue (J.P. Morgan style receive/ack). A received message
 * stays invisible until `visible_at`, then comes back with a new receipt handle until it is
 * acknowledged or `expires_at` (30 days after creation) passes.
 */
@Entity({ schema: 'notifications', name: 'poll_messages' })
@Index('poll_messages_receivable', ['merchant', 'visibleAt'], { where: 'acked_at IS NULL' })
@Index('poll_messages_period', ['merchant', 'createdAt'])
@Index('poll_messages_expiry', ['expiresAt'])
export class PollMessageEntity {
  /**
   * The delivery's message id: the `messageId` receivers see and acknowledge, and the same id a
   * webhook would carry as `webhook-id` and as the body's `id`.
   */
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  merchant!: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId!: string;

  /** The Event row that recorded this delivery. */
  @Column({ name: 'event_id', type: 'uuid', nullable: true })
  eventId!: string | null;

  /** The same body a webhook delivery would carry, as its exact JSON text. */
  @Column({ type: 'json' })
  body!: DeliveryBody;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'visible_at', type: 'timestamptz' })
  visibleAt!: Date;

  @Column({ name: 'receive_count', type: 'integer' })
  receiveCount!: number;

  @Column({ name: 'receipt_handle', type: 'text', nullable: true })
  receiptHandle!: string | null;

  @Column({ name: 'acked_at', type: 'timestamptz', nullable: true })
  ackedAt!: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
