import { Column, Entity, Generated, PrimaryColumn } from 'typeorm';
import type { OrderChangeEvent } from '@ordercast/contracts';
import type { TraceHeaders } from '@ordercast/platform';

/**
 * A change event waiting to be published, written in the same transaction as the order
 * change it describes. `seq` gives the publishing order; `id` is the change event's id.
 * Registration secrets in the payload stay encrypted until the relay publishes it.
 */
@Entity({ name: 'outbox' })
export class OutboxMessage {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'order_id', type: 'uuid' })
  orderId!: string;

  @Column({ type: 'bigint', insert: false, update: false })
  @Generated('increment')
  seq!: string;

  @Column('text')
  topic!: string;

  @Column('text')
  key!: string;

  /** The event as written (`json`: kept as text, published as it is). */
  @Column('json')
  payload!: OrderChangeEvent;

  /** The event's `type`; null on rows written before it was kept apart. */
  @Column({ name: 'event_type', type: 'text', nullable: true })
  eventType!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', insert: false, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true, insert: false })
  sentAt!: Date | null;

  @Column({ type: 'integer', insert: false, default: 0 })
  attempts!: number;

  /** When the relay parked it: the bus refused it for good, so it is never published. */
  @Column({ name: 'parked_at', type: 'timestamptz', nullable: true, insert: false })
  parkedAt!: Date | null;

  /** Why the bus refused it, in the bus's words (such as Kafka's `MESSAGE_TOO_LARGE`). */
  @Column({ name: 'park_reason', type: 'text', nullable: true, insert: false })
  parkReason!: string | null;

  /** The trace context of the request that wrote the change, continued by the relay's publish; null when tracing is off. */
  @Column({ name: 'trace_context', type: 'jsonb', nullable: true })
  traceContext!: TraceHeaders | null;
}
