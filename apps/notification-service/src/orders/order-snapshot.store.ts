import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Order, OrderChangeEvent } from '@ordercast/contracts';
import { DataSource } from 'typeorm';

/** A change event whose order snapshot has its registrations sealed. */
export interface SealedChange {
  event: OrderChangeEvent;
  sealedOrder: Order;
}

/** An order_snapshots row, as ingest writes it (inside its deliveries statement, see `upsertSnapshots`). */
export interface SnapshotRow {
  merchant: string;
  order_id: string;
  channel: string;
  snapshot: Order;
  occurred_at: string;
  last_modified: string;
  sequence: number;
  change_id: string;
  change_type: string;
}

/** The newest snapshot per order of a batch of changes: by the change's occurredAt, then the order's lastModified. */
export function latestSnapshots(changes: SealedChange[]): SnapshotRow[] {
  const newest = new Map<string, SealedChange>();
  for (const change of changes) {
    const key = `${change.event.merchant}\u0000${change.event.orderId}`;
    const current = newest.get(key);
    if (!current || isNewer(change.event, current.event)) newest.set(key, change);
  }
  return [...newest.values()].map(({ event, sealedOrder }) => ({
    merchant: event.merchant,
    order_id: event.orderId,
    channel: event.channel,
    snapshot: sealedOrder,
    occurred_at: event.occurredAt,
    last_modified: event.order.lastModified,
    sequence: event.sequence,
    change_id: event.id,
    change_type: event.type,
  }));
}

/**
 * SQL that upserts the {@link SnapshotRow}s of the JSON array `parameter`, keeping the newest
 * snapshot per order, so a late redelivery of an old change never overwrites a newer one.
 */
export function upsertSnapshots(parameter: string): string {
  return `INSERT INTO "notifications"."order_snapshots" (merchant, order_id, channel, snapshot, occurred_at, last_modified, sequence, change_id, change_type, updated_at)
     SELECT merchant, order_id, channel, snapshot, occurred_at, last_modified, sequence, change_id, change_type, now()
     FROM json_to_recordset(${parameter}::json)
       AS t(merchant text, order_id text, channel text, snapshot json, occurred_at timestamptz, last_modified timestamptz, sequence integer, change_id text, change_type text)
     ON CONFLICT (merchant, order_id) DO UPDATE SET
       channel = EXCLUDED.channel, snapshot = EXCLUDED.snapshot, occurred_at = EXCLUDED.occurred_at, last_modified = EXCLUDED.last_modified,
       sequence = EXCLUDED.sequence, change_id = EXCLUDED.change_id, change_type = EXCLUDED.change_type, updated_at = now()
     WHERE (order_snapshots.occurred_at, order_snapshots.last_modified) <= (EXCLUDED.occurred_at, EXCLUDED.last_modified)`;
}

/** An order's latest snapshot (registrations sealed) and its version. */
export interface LatestSnapshot {
  order: Order;
  sequence: number;
}

/** The latest snapshot of every order seen on the change stream (for manual sends). */
@Injectable()
export class OrderSnapshotStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The latest snapshot, or null for an order this service never saw (or another merchant's). */
  async findLatest(merchant: string, orderId: string): Promise<LatestSnapshot | null> {
    const rows: { snapshot: Order; sequence: number }[] = await this.dataSource.query(
      `SELECT snapshot, sequence FROM "notifications"."order_snapshots" WHERE merchant = $1 AND order_id = $2`,
      [merchant, orderId],
    );
    return rows[0] ? { order: rows[0].snapshot, sequence: rows[0].sequence } : null;
  }
}

function isNewer(candidate: OrderChangeEvent, current: OrderChangeEvent): boolean {
  const byOccurrence = Date.parse(candidate.occurredAt) - Date.parse(current.occurredAt);
  if (byOccurrence !== 0) return byOccurrence > 0;
  return Date.parse(candidate.order.lastModified) >= Date.parse(current.order.lastModified);
}
