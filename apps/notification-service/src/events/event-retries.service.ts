import { ConflictException, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DeliveryKind } from '@ordercast/contracts';
import { KeyedLine } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CLOCK, Clock } from '../clock';
import { skipReason } from '../delivery/dispatch.repository';
import { DispatchSignal } from '../delivery/dispatch-signal';
import { PollQueue } from '../polling/poll-queue';
import { BulkRetryDto } from './dto/bulk-retry.dto';
import { EventRecord } from './event-record';
import { EventQueries } from './event-queries';
import { NEW_ATTEMPT_OUTCOME_COLUMNS, newAttemptOutcome, POLL_QUEUED_RESPONSE } from './event-types';
import { MerchantSendRate } from './merchant-send-rate';

/** At most this many deliveries per bulk retry call; calling again picks up the rest. */
export const BULK_RETRY_LIMIT = 10_000;

const NEW_ATTEMPT_COLUMNS = `id, message_id, merchant, order_id, channel, notification_id, subscription_id, reference, scope, type, delivery,
  attempt, retry_of, trigger, created_at, ${NEW_ATTEMPT_OUTCOME_COLUMNS}`;

interface RetryRow {
  id: string;
  message_id: string;
  merchant: string;
  order_id: string;
  delivery: DeliveryKind;
  body: string;
  /** A poll attempt is `succeeded` once queued, `failed` when its target is gone. */
  status: string;
}

/**
 * Operator retries. A retry is a new attempt of the same message (same `webhook-id` and body),
 * `trigger: retry`, attempted once right away: an operator sees its outcome and decides again,
 * so it starts no automatic retry chain of its own.
 *
 * Retrying a poll delivery puts its message back on the poll queue, unacknowledged and visible
 * now (the receiver lost or mishandled it), rather than queueing a second copy under a new id: a
 * receiver deduplicating on the message id would drop the copy, and the original would stay acked.
 */
@Injectable()
export class EventRetries {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly queries: EventQueries,
    private readonly signal: DispatchSignal,
    private readonly pollQueue: PollQueue,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly rate: MerchantSendRate,
  ) {}

  /**
   * A merchant's retries, one after another: each is charged to the allowance only once its body's
   * size is known (after its write), so retries checked side by side all found the allowance
   * unspent and together created many times the burst (60 sent at once: 4.7 MB against 128 kB,
   * attack of 2026-12-02). In line, each sees what the one before it was charged.
   */
  private readonly line = new KeyedLine(1000);

  /** 404 for an unknown (or another merchant's) event; 409 while the delivery has an attempt pending. */
  retry(merchant: string, eventId: string): Promise<EventRecord> {
    return this.line.run(merchant, () => this.retryNow(merchant, eventId));
  }

  private async retryNow(merchant: string, eventId: string): Promise<EventRecord> {
    const source = await this.queries.get(merchant, eventId);
    // The body's size is known once the attempt is written: a merchant with no allowance left waits, the body is charged after.
    this.rate.availableOrRefuse(merchant);
    const id = randomUUID();
    // Retries of one delivery sent at once (to one instance past its line's patience, or to several
    // instances) all read the same latest attempt and write the same next one: the first writes it,
    // the others wait for it to commit and write nothing, a 409 like any retry while one is pending.
    // Not a duplicate key caught afterwards: by then the query log has reported a failed query.
    const inserted = await this.dataSource.transaction(async (manager) => {
      // A poll attempt whose target is gone (disabled or deleted) is recorded failed with the reason and
      // queues nothing; a dispatched one is skipped the same way by the dispatcher's claim.
      const rows: RetryRow[] = await manager.query(
        `WITH latest AS (
           SELECT e.*, ${skipReason('e', 'd', 's')} AS gone_reason
           FROM "notifications"."events" e
           LEFT JOIN "notifications"."disabled_registrations" d ON d.merchant = e.merchant AND d.notification_id = e.notification_id
           LEFT JOIN "notifications"."subscriptions" s ON s.id = e.subscription_id
           WHERE e.message_id = $2 ORDER BY e.attempt DESC LIMIT 1
         ), created AS (
           INSERT INTO "notifications"."events" (${NEW_ATTEMPT_COLUMNS}, error)
           SELECT $1, l.message_id, l.merchant, l.order_id, l.channel, l.notification_id, l.subscription_id, l.reference, l.scope, l.type, l.delivery,
                  l.attempt + 1, $3, 'retry', $4, ${newAttemptOutcome('l.delivery', '$4::timestamptz', '$6', 'l.gone_reason')},
                  CASE WHEN l.delivery = 'poll' THEN l.gone_reason END
           FROM latest l WHERE l.status <> 'pending' AND l.merchant = $5
           ON CONFLICT (message_id, attempt) DO NOTHING
           RETURNING id, message_id, merchant, order_id, delivery, status
         )
         SELECT c.id, c.message_id, c.merchant, c.order_id, c.delivery, c.status, m.body::text AS body
         FROM created c JOIN "notifications"."messages" m ON m.id = c.message_id`,
        [id, source.messageId, source.id, this.clock.now(), merchant, POLL_QUEUED_RESPONSE],
      );
      const polled = rows.filter((row) => row.delivery === 'poll' && row.status === 'succeeded');
      await this.pollQueue.requeue(polled.map((row) => ({ merchant: row.merchant, messageId: row.message_id, eventId: row.id, orderId: row.order_id, body: row.body })), manager);
      return rows;
    });
    if (inserted.length === 0) throw pending(eventId);
    this.rate.charge(merchant, Buffer.byteLength(inserted[0].body));
    if (inserted[0].delivery === 'poll') this.pollQueue.wake([merchant]);
    else this.signal.notify([id]);
    const [record] = await this.queries.byIds(merchant, [id]);
    return record;
  }

  /**
   * Retries every delivery of the merchant whose latest attempt has the given status (and matches
   * the filters), oldest first, as many as its on-demand allowance (MERCHANT_SEND_BYTES_PER_SECOND)
   * covers; `count` says how many, and the rest can be retried once it has refilled. Poll deliveries
   * are never among them: their attempts fail only when the target is gone.
   */
  retryMany(merchant: string, request: BulkRetryDto): Promise<{ count: number }> {
    return this.line.run(merchant, () => this.retryManyNow(merchant, request));
  }

  /**
   * The oldest delivery is taken even past the allowance when the allowance is full, as a single
   * retry would be (larger than the burst, it could never be bulk-retried otherwise); when the
   * allowance covers none of the deliveries, the answer is a 429 saying when it covers the oldest.
   */
  private async retryManyNow(merchant: string, request: BulkRetryDto, again = true): Promise<{ count: number }> {
    // The request's transaction commits after the line moves on: the next bulk retry of the merchant
    // waits here for it, or it would choose the same deliveries (their new attempts not yet visible),
    // create nothing for them and answer 202 { count: 0 } while others were left (attack of 2026-12-02).
    await this.dataSource.query(`SELECT pg_advisory_xact_lock(hashtext('ordercast.bulk-retry'), hashtext($1))`, [merchant]);
    const allowance = this.rate.availableOrRefuse(merchant);
    const params: unknown[] = [merchant, request.status, this.clock.now(), BULK_RETRY_LIMIT, allowance, allowance >= this.rate.burstBytes];
    const conditions = ['merchant = $1'];
    const add = (column: string, value: unknown, operator = '=') => {
      params.push(value);
      conditions.push(`${column} ${operator} $${params.length}`);
    };
    if (request.orderId !== undefined) add('order_id', request.orderId);
    if (request.notificationId !== undefined) add('notification_id', request.notificationId);
    if (request.since !== undefined) add('created_at', new Date(request.since), '>=');
    const rows: { id: string | null; bytes: number }[] = await this.dataSource.query(
      `WITH chosen AS (
         SELECT d.*, b.bytes, sum(b.bytes) OVER (ORDER BY d.created_at, d.id) AS running
         FROM (
           SELECT DISTINCT ON (message_id) * FROM "notifications"."events"
           WHERE ${conditions.join(' AND ')}
           ORDER BY message_id, attempt DESC
         ) d
         JOIN "notifications"."messages" m ON m.id = d.message_id
         CROSS JOIN LATERAL (SELECT octet_length(m.body::text) AS bytes) b
         -- A poll attempt fails only when its target is gone; this statement would write it pending, for no dispatcher.
         WHERE d.status = $2 AND d.delivery <> 'poll'
         ORDER BY d.created_at, d.id
         LIMIT $4
       ), retried AS (
         INSERT INTO "notifications"."events" (${NEW_ATTEMPT_COLUMNS})
         SELECT gen_random_uuid(), l.message_id, l.merchant, l.order_id, l.channel, l.notification_id, l.subscription_id, l.reference, l.scope, l.type, l.delivery,
                l.attempt + 1, l.id, 'retry', $3, 'pending', $3, NULL, NULL
         FROM chosen l WHERE l.running <= $5 OR (l.running = l.bytes AND $6::boolean)
         ON CONFLICT (message_id, attempt) DO NOTHING
         RETURNING id, message_id
       )
       SELECT r.id, c.bytes FROM retried r JOIN chosen c USING (message_id)
       UNION ALL
       SELECT NULL, min(c.running) FROM chosen c HAVING NOT EXISTS (SELECT 1 FROM retried) AND count(*) > 0`,
      params,
    );
    if (rows.length === 1 && rows[0].id === null) {
      // Nothing retried although deliveries matched (`bytes` is then the oldest's, the smallest running
      // sum): the allowance did not cover it when the statement started. A 429 unless it does now
      // (it refilled while the statement ran): then once more, rather than an empty 202.
      this.rate.refuseUnlessAvailable(merchant, Number(rows[0].bytes));
      return again ? this.retryManyNow(merchant, request, false) : { count: 0 };
    }
    this.rate.charge(merchant, rows.reduce((sum, row) => sum + Number(row.bytes), 0));
    this.signal.notify(rows.map((row) => row.id as string));
    return { count: rows.length };
  }
}

function pending(eventId: string): ConflictException {
  return new ConflictException(`event ${eventId} cannot be retried while an attempt of its delivery is pending`);
}
