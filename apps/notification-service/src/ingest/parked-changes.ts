import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ChangeType } from '@ordercast/contracts';
import { Page, queryPage } from '@ordercast/platform';
import { DataSource } from 'typeorm';

/** A change event ingest gave up on, as operators see it: what it was and where to find it, never its snapshots. */
export interface ParkedChange {
  changeId: string;
  orderId: string;
  merchant: string;
  channel: string;
  type: ChangeType;
  occurredAt: string;
  /** Where it was read: topic, partition and offset on the event bus. */
  topic: string;
  partition: number;
  offset: string;
  attempts: number;
  /** The last failure, or that the service stopped while ingesting it. */
  reason: string;
  parkedAt: string;
}

export type ParkedChangePage = Page<ParkedChange>;

/**
 * The changes ingest parked, newest first, across merchants: a service-wide view for operators.
 * The snapshots stay out of it (they carry customer data); the ids lead to the order.
 */
@Injectable()
export class ParkedChanges {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(limit: number, offset: number): Promise<ParkedChangePage> {
    const page = await queryPage<Omit<ParkedChange, 'occurredAt' | 'parkedAt'> & { occurredAt: Date; parkedAt: Date }>(this.dataSource, {
      page: `SELECT change_id AS "changeId", order_id AS "orderId", merchant, channel, type, occurred_at AS "occurredAt",
                topic, partition, "offset", attempts, reason, parked_at AS "parkedAt"
           FROM notifications.parked_changes ORDER BY parked_at DESC, change_id LIMIT $1 OFFSET $2`,
      count: 'SELECT count(*)::int AS total FROM notifications.parked_changes',
    }, { limit, offset });
    const data = page.data.map((row) => ({ ...row, occurredAt: row.occurredAt.toISOString(), parkedAt: row.parkedAt.toISOString() }));
    return { ...page, data };
  }
}
