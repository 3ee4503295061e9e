import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { Order, OrderState } from '@ordercast/contracts';

/**
 * One checkout order. The document is the whole Norce-like order as the API shows it,
 * except that registration header values and secrets inside it are encrypted; the columns
 * beside it repeat what queries filter on.
 */
@Entity({ name: 'orders' })
export class OrderEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  merchant!: string;

  @Column('text')
  channel!: string;

  @Column({ type: 'text', nullable: true })
  reference!: string | null;

  @Column('text')
  state!: OrderState;

  @Column('jsonb')
  document!: Order;

  /**
   * Counts the order's changes. A writer updates the order only if the version is still the one
   * it computed its change from, and otherwise computes the change again (optimistic concurrency).
   */
  @Column('integer')
  version!: number;

  @Column({ name: 'created', type: 'timestamptz' })
  created!: Date;

  @Column({ name: 'last_modified', type: 'timestamptz' })
  lastModified!: Date;
}
