import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { DeliveryKind, HttpMethod, KafkaDestination, PayloadKind, TargetAuth, Watch } from '@ordercast/contracts';

/** A merchant-wide notification: fires for every order of the merchant (or of the listed channels). */
@Entity({ schema: 'notifications', name: 'subscriptions' })
@Index('subscriptions_merchant_idx', ['merchant', 'createdAt'])
export class SubscriptionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  merchant!: string;

  @Column({ type: 'text' })
  name!: string;

  /** Empty: every channel. */
  @Column({ type: 'text', array: true, default: () => `'{}'` })
  channels!: string[];

  @Column({ type: 'jsonb' })
  scope!: Watch[];

  @Column({ type: 'text', default: 'webhook' })
  delivery!: DeliveryKind;

  @Column({ type: 'text', default: 'full' })
  payload!: PayloadKind;

  @Column({ type: 'text', nullable: true })
  url!: string | null;

  @Column({ type: 'text', default: 'POST' })
  method!: HttpMethod;

  /** Values sealed with SecretBox. */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  headers!: Record<string, string>;

  @Column({ type: 'text', nullable: true })
  email!: string | null;

  /** Standard Webhooks secret sealed with SecretBox. */
  @Column({ type: 'text', nullable: true })
  secret!: string | null;

  /** How the webhook target is authenticated, its credential sealed with SecretBox. */
  @Column({ type: 'jsonb', nullable: true })
  auth!: TargetAuth | null;

  /** The topic of a kafka delivery, its SASL password sealed with SecretBox. */
  @Column({ type: 'jsonb', nullable: true })
  kafka!: KafkaDestination | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** Why the service disabled it (410 Gone from the target); null when enabled or disabled by the merchant. */
  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
