import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ChangeType } from '@ordercast/contracts';
import { Page, queryPage } from '@ordercast/platform';
import { DataSource } from 'typeorm';

/** A change event the bus refused for good, as operators see it: what it was, never its snapshots. */
export interface ParkedChange {
  id: string;
  orderId: string;
  merchant: string;
  channel: string;
  type: ChangeType;
  occurredAt: string;
  parkedAt: string;
  /** Why the bus refused it, in the bus's words (such as Kafka's `MESSAGE_TOO_LARGE`). */
  reason: string;
  /** The event's size as stored, in bytes. */
  bytes: number;
}

export type ParkedChangePage = Page<ParkedChange>;

/**
 * The outbox rows the relay parked, newest first, across merchants: a service-wide view for
 * operators. The snapshots stay out of it (they carry customer data and sealed secrets); the ids
 * lead to the order.
 */
@Injectable()
export class ParkedChanges {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(limit: number, offset: number): Promise<ParkedChangePage> {
    return queryPage<ParkedChange>(this.dataSource, {
      page: `SELECT id, order_id AS "orderId", payload->>'merchant' AS merchant, payload->>'channel' AS channel, payload->>'type' AS type,
                payload->>'occurredAt' AS "occurredAt", to_json(parked_at)#>>'{}' AS "parkedAt", park_reason AS reason,
                octet_length(payload::text) AS bytes
           FROM orders.outbox WHERE parked_at IS NOT NULL ORDER BY parked_at DESC, seq DESC LIMIT $1 OFFSET $2`,
      count: 'SELECT count(*)::int AS total FROM orders.outbox WHERE parked_at IS NOT NULL',
    }, { limit, offset });
  }
}
