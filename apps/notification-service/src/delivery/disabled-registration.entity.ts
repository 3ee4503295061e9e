import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A registration whose target answered 410 Gone, or that was deleted from its order. Registrations
 * belong to order-service, so either is recorded here; later attempts to it are skipped.
 */
@Entity({ schema: 'notifications', name: 'disabled_registrations' })
export class DisabledRegistrationEntity {
  @PrimaryColumn({ type: 'text' })
  merchant!: string;

  @PrimaryColumn({ name: 'notification_id', type: 'text' })
  notificationId!: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId!: string;

  /** The attempt that got the 410; null for a deleted registration. */
  @Column({ name: 'event_id', type: 'uuid', nullable: true })
  eventId!: string | null;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'disabled_at', type: 'timestamptz' })
  disabledAt!: Date;
}
