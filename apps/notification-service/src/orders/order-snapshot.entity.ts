import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Order } from '@ordercast/contracts';

/**
 * The latest order snapshot seen on the change stream, for manual sends. Registration header
 * values and secrets inside it are sealed with SecretBox.
 */
@Entity({ schema: 'notifications', name: 'order_snapshots' })
export class OrderSnapshotEntity {
  @PrimaryColumn({ type: 'text' })
  merchant!: string;

  @PrimaryColumn({ name: 'order_id', type: 'text' })
  orderId!: string;

  @Column({ type: 'text' })
  channel!: string;

  @Column({ type: 'json' })
  snapshot!: Order;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'last_modified', type: 'timestamptz' })
  lastModified!: Date;

  /** The snapshot's order version (OrderChangeEvent.sequence); 0 for snapshots stored before versions were carried. */
  @Column({ type: 'integer' })
  sequence!: number;

  @Column({ name: 'change_id', type: 'text' })
  changeId!: string;

  @Column({ name: 'change_type', type: 'text' })
  changeType!: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
