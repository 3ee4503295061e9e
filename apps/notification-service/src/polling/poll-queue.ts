import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { releaseTenantConnections, sqlInteger } from '@ordercast/platform';
import { DataSource, EntityManager } from 'typeorm';
import type { DeliveryBody } from '../delivery/delivery-body';
import {
  DEFAULT_POLL_VISIBILITY_MS, MAX_PERIOD_MESSAGES, POLL_RETENTION_DAYS, POLLING_OPTIONS, PollingOptions,
} from './poll-options';
import { PollSignal } from './poll-signal';

export interface PollEnqueue {
  merchant: string;
  /** The delivery's message id (the `webhook-id`); receivers acknowledge it. */
  messageId: string;
  /** The Event row that records this delivery. */
  eventId: string | null;
  orderId: string;
  /** The JSON text of the body a webhook would get (`NewDelivery.body`). */
  body: string;
}

export interface ReceivedMessage {
  messageInfo: { messageId: string; receiptHandle: string };
  createdAt: string;
  orderNotification: DeliveryBody;
}

export interface ReceiveRequest {
  maxNumberMessages: number;
  timeoutMs: number;
  autoAck: boolean;
}

export type AckFailureReason = 'unknown message' | 'message expired';

export interface AckFailure {
  messageIdentifier: string;
  reason: AckFailureReason;
}

export interface ListedMessage {
  messageInfo: { messageId: string };
  createdAt: string;
  acknowledged: boolean;
  orderNotification: DeliveryBody;
}

export interface MessagePeriod {
  messagesResponses: ListedMessage[];
  /** More than {@link MAX_PERIOD_MESSAGES} messages fall in the period; ask for a shorter one. */
  truncated: boolean;
}

/** How often a long-poll looks at the table again when nothing on this instance woke it. */
export const RECHECK_MS = 250;

const TABLE = '"notifications"."poll_messages"';

/**
 * SQL queuing the poll messages of `source`, which must name its rows `m` with the columns id (the
 * message id), merchant, order_id, event_id and body; each is kept for `retentionDays` (SQL).
 * For the queue itself, and for statements that queue messages as they insert them.
 */
export function insertPollMessages(source: string, retentionDays: string, onConflict = 'DO NOTHING'): string {
  return `INSERT INTO ${TABLE} ("id", "merchant", "order_id", "event_id", "body", "expires_at")
     SELECT m.id, m.merchant, m.order_id, m.event_id, m.body, now() + make_interval(days => ${retentionDays})
     FROM ${source}
     ON CONFLICT ("id") ${onConflict}`;
}

/**
 * The merchant's pull queue (J.P. Morgan's receive / ack / list by period). Messages are rows,
 * so every instance serves every receiver, and `FOR UPDATE SKIP LOCKED` hands each visible
 * message to one receiver at a time.
 */
@Injectable()
export class PollQueue {
  private readonly visibilityMs: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly signal: PollSignal,
    @Optional() @Inject(POLLING_OPTIONS) options: PollingOptions | null = null,
  ) {
    this.visibilityMs = options?.visibilityMs ?? DEFAULT_POLL_VISIBILITY_MS;
    if (!Number.isSafeInteger(this.visibilityMs) || this.visibilityMs < 0) throw new Error('POLL_VISIBILITY_MS must be a whole number of milliseconds');
  }

  /**
   * Queues deliveries; pass the caller's transaction manager to queue them atomically with its
   * own writes. A message id already queued is left as it is, so enqueueing twice is harmless.
   */
  enqueue(rows: readonly PollEnqueue[], manager: EntityManager = this.dataSource.manager): Promise<void> {
    return this.upsert(rows, manager, 'DO NOTHING');
  }

  /**
   * Puts deliveries on the queue again (an operator's retry): a message still kept becomes
   * unacknowledged and visible at once, with its 30 days counted afresh and the retry's Event
   * recorded on it; a message already purged is queued anew.
   */
  requeue(rows: readonly PollEnqueue[], manager: EntityManager = this.dataSource.manager): Promise<void> {
    return this.upsert(rows, manager, `DO UPDATE SET "acked_at" = NULL, "visible_at" = now(), "event_id" = EXCLUDED."event_id", "expires_at" = EXCLUDED."expires_at"`);
  }

  private async upsert(rows: readonly PollEnqueue[], manager: EntityManager, onConflict: string): Promise<void> {
    if (rows.length === 0) return;
    await manager.query(
      insertPollMessages('unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::json[]) AS m(id, merchant, order_id, event_id, body)', '$6', onConflict),
      [
        rows.map((row) => row.messageId),
        rows.map((row) => row.merchant),
        rows.map((row) => row.orderId),
        rows.map((row) => row.eventId),
        rows.map((row) => row.body),
        POLL_RETENTION_DAYS,
      ],
    );
    // Inside a caller's transaction the rows are invisible until it commits; the caller wakes receivers then.
    if (!manager.queryRunner?.isTransactionActive) this.wake(rows.map((row) => row.merchant));
  }

  /** Wakes long-polling receivers of these merchants (after the transaction that queued their messages committed). */
  wake(merchants: readonly string[]): void {
    if (merchants.length > 0) this.signal.notify([...new Set(merchants)]);
  }

  /**
   * Claims up to `maxNumberMessages` visible messages; when there are none, waits for one up to
   * `timeoutMs`. `abort` (the receiver went away) ends the wait without claiming anything more.
   * A wait holds no database connection: the request's transaction is committed and its
   * connection released before it, and the next look opens a new one.
   */
  async receive(merchant: string, request: ReceiveRequest, abort?: AbortSignal): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + request.timeoutMs;
    const wakeup = request.timeoutMs > 0 ? this.signal.subscribe(merchant) : null;
    try {
      for (;;) {
        if (abort?.aborted) return [];
        const messages = await this.claim(merchant, request.maxNumberMessages, request.autoAck);
        const left = deadline - Date.now();
        if (messages.length > 0 || wakeup === null || left <= 0) return messages;
        await releaseTenantConnections();
        await wakeup.wait(Math.min(RECHECK_MS, left), abort);
      }
    } finally {
      wakeup?.close();
    }
  }

  /**
   * Acknowledges messages by id; they are never received again. Acknowledging twice is fine.
   * Ids of another merchant are reported exactly like ids that do not exist.
   */
  async ack(merchant: string, messageIds: readonly string[]): Promise<AckFailure[]> {
    const rows: Array<{ id: string; live: boolean }> = await this.dataSource.query(
      `WITH found AS (
         SELECT "id", "expires_at" > now() AS live FROM ${TABLE} WHERE "merchant" = $1 AND "id" = ANY($2::uuid[])
       ), acked AS (
         UPDATE ${TABLE} p SET "acked_at" = now()
         FROM found WHERE p."id" = found."id" AND found.live AND p."acked_at" IS NULL
         RETURNING p."id"
       )
       SELECT "id", live FROM found`,
      [merchant, [...new Set(messageIds)]],
    );
    const live = new Map(rows.map((row) => [row.id, row.live]));
    return messageIds.flatMap((id): AckFailure[] => {
      const known = live.get(id.toLowerCase());
      if (known === undefined) return [{ messageIdentifier: id, reason: 'unknown message' }];
      return known ? [] : [{ messageIdentifier: id, reason: 'message expired' }];
    });
  }

  /** Every unexpired message created in [start, end), acknowledged or not, oldest first. */
  async list(merchant: string, start: Date, end: Date): Promise<MessagePeriod> {
    const rows: Array<{ id: string; created_at: Date; acknowledged: boolean; body: DeliveryBody }> = await this.dataSource.query(
      `SELECT "id", "created_at", "acked_at" IS NOT NULL AS acknowledged, "body" FROM ${TABLE}
       WHERE "merchant" = $1 AND "created_at" >= $2 AND "created_at" < $3 AND "expires_at" > now()
       ORDER BY "created_at", "id" LIMIT $4`,
      [merchant, start, end, MAX_PERIOD_MESSAGES + 1],
    );
    return {
      messagesResponses: rows.slice(0, MAX_PERIOD_MESSAGES).map((row) => ({
        messageInfo: { messageId: row.id },
        createdAt: row.created_at.toISOString(),
        acknowledged: row.acknowledged,
        orderNotification: row.body,
      })),
      truncated: rows.length > MAX_PERIOD_MESSAGES,
    };
  }

  /**
   * Deletes messages past their 30 days, and those older than `retentionDays` when given
   * (RETENTION_DAYS when shorter: they hold order and customer data), `batchSize` rows per
   * statement so no statement holds many locks; returns how many.
   */
  async purgeExpired(batchSize = 1000, retentionDays?: number): Promise<number> {
    // Numbers written in (sqlInteger): a plan for them finds nothing to delete through the indexes on the two times.
    const expired = retentionDays === undefined ? `"expires_at" <= now()` : `("expires_at" <= now() OR "created_at" < now() - ${sqlInteger(retentionDays)} * interval '1 day')`;
    let total = 0;
    for (;;) {
      const [, deleted]: [unknown, number] = await this.dataSource.query(
        `DELETE FROM ${TABLE} WHERE "id" IN (SELECT "id" FROM ${TABLE} WHERE ${expired} LIMIT ${sqlInteger(batchSize)} FOR UPDATE SKIP LOCKED)`,
      );
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }

  private async claim(merchant: string, limit: number, autoAck: boolean): Promise<ReceivedMessage[]> {
    // The receipt handle is rotated on every receive (from two random UUIDs: 244 random bits).
    const [rows]: [Array<{ id: string; receipt_handle: string; created_at: Date; body: DeliveryBody }>, number] = await this.dataSource.query(
      `WITH claimed AS (
         SELECT "id" FROM ${TABLE}
         WHERE "merchant" = $1 AND "acked_at" IS NULL AND "visible_at" <= now() AND "expires_at" > now()
         ORDER BY "visible_at", "id"
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       )
       UPDATE ${TABLE} p SET
         "visible_at" = now() + make_interval(secs => $3::double precision / 1000),
         "receive_count" = p."receive_count" + 1,
         "receipt_handle" = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
         "acked_at" = CASE WHEN $4::boolean THEN now() END
       FROM claimed WHERE p."id" = claimed."id"
       RETURNING p."id", p."receipt_handle", p."created_at", p."body"`,
      [merchant, limit, this.visibilityMs, autoAck],
    );
    return rows
      .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id))
      .map((row) => ({
        messageInfo: { messageId: row.id, receiptHandle: row.receipt_handle },
        createdAt: row.created_at.toISOString(),
        orderNotification: row.body,
      }));
  }
}
