import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Change, ChangeType, Order, ORDER_EVENTS_TOPIC, OrderChangeEvent } from '@ordercast/contracts';
import { randomUUID } from 'node:crypto';
import { DataSource, Repository } from 'typeorm';
import { OutboxSignal } from '../outbox/outbox-signal';
import { OrderEntity } from './order.entity';

/** A change to an order, as a command handler describes it; the store stamps and records it. */
export interface OrderChange {
  type: Exclude<ChangeType, 'order.created'>;
  change: Change;
  /** The order after the change; `lastModified` is set by the store. */
  order: Order;
}

/**
 * Computes a change from the locked current order, or returns null when the request changes
 * nothing (then nothing is written or published). Throwing rolls the transaction back.
 */
export type ApplyChange = (current: Order, now: Date) => OrderChange | null;

/**
 * Reads and writes orders. Every write stores the order and the change event describing it
 * (in the outbox) in one transaction, then wakes the outbox relay.
 */
@Injectable()
export class OrderStore {
  constructor(
    @InjectRepository(OrderEntity) private readonly orders: Repository<OrderEntity>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxSignal,
  ) {}

  /** The merchant's order; another merchant's order is as unknown as a missing one. */
  async find(merchant: string, orderId: string): Promise<Order> {
    const row = await this.orders.findOne({ select: { document: true }, where: { id: orderId, merchant } });
    if (!row) throw orderNotFound(orderId);
    return row.document;
  }

  /** One statement, so one round trip: the order and its `order.created` event. */
  async create(order: Order): Promise<void> {
    const event = changeEvent('order.created', { kind: 'created' }, null, order, new Date(order.created));
    await this.dataSource.query(
      `WITH created AS (
         INSERT INTO orders.orders (id, merchant, channel, reference, state, document, version, created, last_modified)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, 1, $7, $7)
       )
       INSERT INTO orders.outbox (id, order_id, topic, key, payload) VALUES ($8, $1, $9, $1, $10::jsonb)`,
      [order.id, order.merchant, order.channel, order.reference, order.state.currentStatus, JSON.stringify(order), order.created,
        event.id, ORDER_EVENTS_TOPIC, JSON.stringify(event)],
    );
    this.outbox.notify();
  }

  /**
   * Applies a change under a row lock, so concurrent changes of one order queue up and each
   * sees the one before. Four round trips: begin, lock and read, write order and event, commit.
   */
  async change(merchant: string, orderId: string, apply: ApplyChange): Promise<Order> {
    const { order, changed } = await this.dataSource.transaction(async (manager) => {
      const [row] = await manager.query<Pick<OrderEntity, 'document'>[]>(
        'SELECT document FROM orders.orders WHERE id = $1 AND merchant = $2 FOR UPDATE',
        [orderId, merchant],
      );
      if (!row) throw orderNotFound(orderId);
      const now = new Date();
      const outcome = apply(row.document, now);
      if (!outcome) return { order: row.document, changed: false };
      const next: Order = { ...outcome.order, lastModified: now.toISOString() };
      const event = changeEvent(outcome.type, outcome.change, row.document, next, now);
      await manager.query(
        `WITH changed AS (
           UPDATE orders.orders SET state = $2, document = $3::jsonb, version = version + 1, last_modified = $4 WHERE id = $1
         )
         INSERT INTO orders.outbox (id, order_id, topic, key, payload) VALUES ($5, $1, $6, $1, $7::jsonb)`,
        [orderId, next.state.currentStatus, JSON.stringify(next), next.lastModified, event.id, ORDER_EVENTS_TOPIC, JSON.stringify(event)],
      );
      return { order: next, changed: true };
    });
    if (changed) this.outbox.notify();
    return order;
  }
}

function orderNotFound(orderId: string): NotFoundException {
  return new NotFoundException(`order ${orderId} not found`);
}

function changeEvent(type: ChangeType, change: Change, previous: Order | null, order: Order, now: Date): OrderChangeEvent {
  return {
    id: randomUUID(), type, occurredAt: now.toISOString(), merchant: order.merchant, channel: order.channel,
    orderId: order.id, change, previous, order,
  };
}
