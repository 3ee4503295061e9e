import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeliveryKind, HttpMethod, KafkaDestination, TargetAuth } from '@ordercast/contracts';
import type { TraceHeaders } from '@ordercast/platform';

/**
 * One delivery: what is sent and where, stored once and shared by every attempt (Event) of it.
 * Its id is the stable `webhook-id`. A change event gives at most one message per target and
 * scope label (unique key), which makes redelivered change events harmless.
 */
@Entity({ schema: 'notifications', name: 'messages' })
@Index('messages_change_target_scope_key', ['changeId', 'targetId', 'scope'], { unique: true })
export class MessageEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  merchant!: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId!: string;

  /** The change event it came from; null for manual sends. */
  @Column({ name: 'change_id', type: 'text', nullable: true })
  changeId!: string | null;

  /** The registration or subscription id. */
  @Column({ name: 'target_id', type: 'text' })
  targetId!: string;

  @Column({ type: 'text' })
  scope!: string;

  @Column({ type: 'text' })
  delivery!: DeliveryKind;

  /** Placeholders already filled. */
  @Column({ type: 'text', nullable: true })
  url!: string | null;

  @Column({ type: 'text' })
  method!: HttpMethod;

  /** Registration header values sealed with SecretBox. */
  @Column({ type: 'jsonb' })
  headers!: Record<string, string>;

  /** Standard Webhooks secret sealed with SecretBox. */
  @Column({ type: 'text', nullable: true })
  secret!: string | null;

  @Column({ type: 'text', nullable: true })
  email!: string | null;

  /** How the target is authenticated, its credential sealed with SecretBox. */
  @Column({ type: 'jsonb', nullable: true })
  auth!: TargetAuth | null;

  /** The topic of a kafka delivery, its SASL password sealed with SecretBox. */
  @Column({ type: 'jsonb', nullable: true })
  kafka!: KafkaDestination | null;

  /** `json`, not `jsonb`: the exact text is kept, so every attempt sends the same bytes and storing it costs no conversion. */
  @Column({ type: 'json' })
  body!: unknown;

  /** The body text is RFC 8785 canonical JSON, so attempts sign it as stored; false for messages stored before. */
  @Column({ name: 'body_canonical', type: 'boolean', default: false })
  bodyCanonical!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** The trace context of its cause (the change's ingest span, a manual send's request); each attempt is a span of it. Null when tracing is off. */
  @Column({ name: 'trace_context', type: 'jsonb', nullable: true })
  traceContext!: TraceHeaders | null;
}
