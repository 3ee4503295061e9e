import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { OrderChangeEvent } from '@ordercast/contracts';
import type { IncomingMessage } from '@ordercast/messaging';
import { ASYNC_COMMIT, preparedStatement, runPrepared } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { EnabledSubscription, enabledSubscriptionsJson } from '../subscriptions/subscriptions.repository';

/**
 * Attempts at one change before it is parked. A few, so that a failure of the database or the
 * bus that strikes between counting and finishing (each delivery of a batch is counted only once
 * the database answered) does not park a sound change, and few enough that a change crashing
 * the process ends its crash loop within a few restarts.
 */
export const MAX_INGEST_ATTEMPTS = 3;

/** What an earlier delivery left of a change: unfinished attempts, or the change parked. */
export interface EarlierAttempts {
  attempts: number;
  parked: boolean;
}

/** A change given up on: the event with its snapshots sealed, where it was read, and why. */
export interface ChangeToPark {
  event: OrderChangeEvent;
  message: IncomingMessage;
  attempts: number;
  reason: string;
}

/**
 * Run for every batch the bus delivers, so prepared: parsed and planned once per connection.
 * $1: the batch's changes as JSON, $2: the changes finished since the last batch (cleared here),
 * $3: the batch's merchants. Returns one row: what earlier deliveries left of the changes, and the
 * merchants' enabled subscriptions, which matching needs next. Reading those here rather than in a
 * statement of their own saves a statement per batch, and at 200 changes/s a batch is one change.
 *
 * It commits asynchronously ({@link ASYNC_COMMIT}): the count guards against the service crashing
 * on a change, and the batch's ingest statement, committed synchronously after it, flushes it with
 * its own commit. Only a crash of PostgreSQL in between can lose it, which leaves the change one
 * attempt more before parking; the wait for the flush was on the path of every change.
 */
const BEGIN_BATCH = preparedStatement(
  'notifications.begin-ingest-batch',
  `WITH ${ASYNC_COMMIT}, input AS (
     SELECT DISTINCT ON (change_id) t.* FROM json_to_recordset($1::json) AS t(change_id text, merchant text, order_id text) CROSS JOIN async_commit
   ), cleared AS (
     DELETE FROM "notifications"."ingest_attempts" WHERE change_id = ANY($2::text[])
   ), started AS (
     INSERT INTO "notifications"."ingest_attempts" (change_id, merchant, order_id, attempts)
     SELECT change_id, merchant, order_id, 1 FROM input
     WHERE NOT EXISTS (SELECT 1 FROM "notifications"."parked_changes" p WHERE p.change_id = input.change_id)
     ON CONFLICT (change_id) DO NOTHING
   )
   SELECT (SELECT coalesce(json_agg(earlier), '[]'::json) FROM (
             SELECT a.change_id, a.attempts, false AS parked FROM "notifications"."ingest_attempts" a JOIN input USING (change_id)
             UNION ALL
             SELECT p.change_id, p.attempts, true AS parked FROM "notifications"."parked_changes" p JOIN input USING (change_id)
           ) earlier) AS earlier,
          ${enabledSubscriptionsJson('$3')} AS subscriptions`,
);

/** What a batch starts from: what earlier deliveries left of its changes, and its merchants' enabled subscriptions. */
export interface BatchStart {
  earlier: Map<string, EarlierAttempts>;
  subscriptions: EnabledSubscription[];
}

/**
 * Durable attempt counts of ingest, so that a change which keeps failing, or crashes the process
 * every time (a restart delivers it again), is parked after {@link MAX_INGEST_ATTEMPTS} instead
 * of blocking its partition forever.
 *
 * An attempt is recorded before the work and cleared after it. On the common path a batch costs
 * one statement more: its changes are recorded as started, and the previous batch's finished
 * ones are cleared in the same statement (a change left recorded by a crash in between is only
 * ingested once more, one at a time, which is harmless).
 */
@Injectable()
export class IngestAttempts {
  private finished = new Set<string>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records an attempt at each change that has none, and returns what earlier deliveries left of
   * the others: unfinished attempts (not counted again yet, see {@link retry}) or the change parked;
   * with them, in the same statement, the enabled subscriptions of the changes' merchants.
   */
  async begin(events: OrderChangeEvent[]): Promise<BatchStart> {
    const ids = new Set(events.map((event) => event.id));
    const cleared = [...this.finished].filter((id) => !ids.has(id));
    this.finished = new Set([...this.finished].filter((id) => ids.has(id)));
    const input = JSON.stringify(events.map((event) => ({ change_id: event.id, merchant: event.merchant, order_id: event.orderId })));
    const merchants = [...new Set(events.map((event) => event.merchant))];
    const [row] = await runPrepared<{ earlier: { change_id: string; attempts: number; parked: boolean }[]; subscriptions: EnabledSubscription[] }>(
      this.dataSource, BEGIN_BATCH, [input, cleared, merchants],
    );
    return { earlier: new Map(row.earlier.map((e) => [e.change_id, { attempts: e.attempts, parked: e.parked }])), subscriptions: row.subscriptions };
  }

  /** Counts one more attempt at a change an earlier delivery left unfinished; returns the count including this one. */
  async retry(event: OrderChangeEvent): Promise<number> {
    const [row]: { attempts: number }[] = await this.dataSource.query(
      `INSERT INTO "notifications"."ingest_attempts" (change_id, merchant, order_id, attempts) VALUES ($1, $2, $3, 1)
       ON CONFLICT (change_id) DO UPDATE SET attempts = ingest_attempts.attempts + 1, updated_at = now()
       RETURNING attempts`,
      [event.id, event.merchant, event.orderId],
    );
    return row.attempts;
  }

  /** Changes ingested with their batch: cleared by the next {@link begin}, at no extra round trip. */
  finishLater(events: OrderChangeEvent[]): void {
    for (const event of events) this.finished.add(event.id);
  }

  async finish(event: OrderChangeEvent): Promise<void> {
    await this.dataSource.query(`DELETE FROM "notifications"."ingest_attempts" WHERE change_id = $1`, [event.id]);
  }

  /** Keeps why the last attempt failed, as the reason to park the change with. */
  async recordFailure(events: OrderChangeEvent[], reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE "notifications"."ingest_attempts" SET last_error = $2, updated_at = now() WHERE change_id = ANY($1::text[])`,
      [events.map((event) => event.id), reason.slice(0, 2000)],
    );
  }

  /** The last failure recorded for a change, if its attempts failed rather than stopped the process. */
  async lastError(event: OrderChangeEvent): Promise<string | null> {
    const rows: { last_error: string | null }[] = await this.dataSource.query(
      `SELECT last_error FROM "notifications"."ingest_attempts" WHERE change_id = $1`,
      [event.id],
    );
    return rows[0]?.last_error ?? null;
  }

  /** Moves a change from the attempts to the parked changes, in one statement. */
  async park(parked: ChangeToPark): Promise<void> {
    const { event, message } = parked;
    await this.dataSource.query(
      `WITH done AS (DELETE FROM "notifications"."ingest_attempts" WHERE change_id = $1)
       INSERT INTO "notifications"."parked_changes"
         (change_id, merchant, order_id, channel, type, occurred_at, topic, partition, "offset", attempts, reason, event)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (change_id) DO UPDATE SET attempts = EXCLUDED.attempts, reason = EXCLUDED.reason, parked_at = now()`,
      [
        event.id, event.merchant, event.orderId, event.channel, event.type, event.occurredAt,
        message.topic, message.partition, message.offset, parked.attempts, parked.reason.slice(0, 2000), JSON.stringify(event),
      ],
    );
  }
}
