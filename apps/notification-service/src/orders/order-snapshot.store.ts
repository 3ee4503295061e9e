import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Order, OrderChangeEvent } from '@ordercast/contracts';
import { DataSource, EntityManager } from 'typeorm';

/** A change event whose order snapshot has its registrations sealed. */
export interface SealedChange {
  event: OrderChangeEvent;
  sealedOrder: Order;
}

/** The latest snapshot of every order seen on the change stream (for manual sends). */
@Injectable()
export class OrderSnapshotStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Keeps the newest snapshot per order: by the change's occurredAt, then the order's
   * lastModified, so a late redelivery of an old change never overwrites a newer one.
   */
  async saveLatest(manager: EntityManager, changes: SealedChange[]): Promise<void> {
    const newest = new Map<string, SealedChange>();
    for (const change of changes) {
      const key = `${change.event.merchant}\u0000${change.event.orderId}`;
      const current = newest.get(key);
      if (!current || isNewer(change.event, current.event)) newest.set(key, change);
    }
    if (newest.size === 0) return;
    // One JSON parameter rather than text arrays: pg would escape every quote of every snapshot.
    const rows = [...newest.values()].map(({ event, sealedOrder }) => ({
      merchant: event.merchant,
      order_id: event.orderId,
      channel: event.channel,
      snapshot: sealedOrder,
      occurred_at: event.occurredAt,
      last_modified: event.order.lastModified,
      change_id: event.id,
      change_type: event.type,
    }));
    await manager.query(
      `INSERT INTO "notifications"."order_snapshots" (merchant, order_id, channel, snapshot, occurred_at, last_modified, change_id, change_type, updated_at)
       SELECT merchant, order_id, channel, snapshot, occurred_at, last_modified, change_id, change_type, now()
       FROM json_to_recordset($1::json)
         AS t(merchant text, order_id text, channel text, snapshot jsonb, occurred_at timestamptz, last_modified timestamptz, change_id text, change_type text)
       ON CONFLICT (merchant, order_id) DO UPDATE SET
         channel = EXCLUDED.channel, snapshot = EXCLUDED.snapshot, occurred_at = EXCLUDED.occurred_at, last_modified = EXCLUDED.last_modified,
         change_id = EXCLUDED.change_id, change_type = EXCLUDED.change_type, updated_at = now()
       WHERE (order_snapshots.occurred_at, order_snapshots.last_modified) <= (EXCLUDED.occurred_at, EXCLUDED.last_modified)`,
      [JSON.stringify(rows)],
    );
  }

  /** The latest snapshot with sealed registrations, or null for an order this service never saw (or another merchant's). */
  async findLatest(merchant: string, orderId: string): Promise<Order | null> {
    const rows: { snapshot: Order }[] = await this.dataSource.query(
      `SELECT snapshot FROM "notifications"."order_snapshots" WHERE merchant = $1 AND order_id = $2`,
      [merchant, orderId],
    );
    return rows[0]?.snapshot ?? null;
  }
}

function isNewer(candidate: OrderChangeEvent, current: OrderChangeEvent): boolean {
  const byOccurrence = Date.parse(candidate.occurredAt) - Date.parse(current.occurredAt);
  if (byOccurrence !== 0) return byOccurrence > 0;
  return Date.parse(candidate.order.lastModified) >= Date.parse(current.order.lastModified);
}
