import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { purgeExpiredIdempotencyKeys, sqlInteger } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { NotificationMetrics } from '../metrics/notification-metrics';

const EVERY_MS = 60 * 60 * 1000;
/** A first purge soon after start, so instances restarted more often than hourly still purge. */
const FIRST_RUN_MS = 60 * 1000;
const CHUNK = 5000;

const NOTIFICATIONS = '"notifications"';

/**
 * Batched deletes of one table, each returning the rows deleted, with the retention in days and the
 * batch size written in (see sqlInteger: a plan for these values finds an empty batch through an
 * index). Deletes are wrapped in a SELECT: TypeORM returns [rows, count] for a top-level DELETE.
 */
const purges = (days: string): { table: string; statement: string }[] => [
  {
    // A delivery (message and every attempt) with a pending attempt, or an attempt inside the period (a recent retry), is kept whole.
    table: 'messages',
    statement: `WITH deleted AS (DELETE FROM ${NOTIFICATIONS}."messages" WHERE id IN (
        SELECT m.id FROM ${NOTIFICATIONS}."messages" m
        WHERE m.created_at < now() - ${days} * interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM ${NOTIFICATIONS}."events" e
                          WHERE e.message_id = m.id AND (e.status = 'pending' OR e.created_at >= now() - ${days} * interval '1 day'))
        LIMIT ${CHUNK})
      RETURNING 1) SELECT count(*)::int AS deleted FROM deleted`,
  },
  {
    table: 'parked_changes',
    statement: `WITH deleted AS (DELETE FROM ${NOTIFICATIONS}."parked_changes" WHERE change_id IN (
        SELECT change_id FROM ${NOTIFICATIONS}."parked_changes" WHERE parked_at < now() - ${days} * interval '1 day' LIMIT ${CHUNK})
      RETURNING 1) SELECT count(*)::int AS deleted FROM deleted`,
  },
  {
    table: 'ingest_attempts',
    statement: `WITH deleted AS (DELETE FROM ${NOTIFICATIONS}."ingest_attempts" WHERE change_id IN (
        SELECT change_id FROM ${NOTIFICATIONS}."ingest_attempts" WHERE updated_at < now() - ${days} * interval '1 day' LIMIT ${CHUNK})
      RETURNING 1) SELECT count(*)::int AS deleted FROM deleted`,
  },
];

/**
 * Deletes what notification-service keeps of orders and customers once it is older than
 * RETENTION_DAYS, in bounded statements so delivery is never blocked behind one: deliveries
 * (message and every attempt), the latest order snapshot of an order not changed in the period,
 * 410 Gone records of orders whose snapshot is gone, parked changes and stale ingest attempt
 * counts. Poll messages are purged by the PollPurger on the same retention. Counted per table
 * in `ordercast_retention_deleted_total`. Also deletes Idempotency-Keys past their 24 hours.
 */
@Injectable()
export class EventRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventRetention.name);
  private timer: NodeJS.Timeout | null = null;
  private firstRun: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: NotificationServiceConfig,
    private readonly metrics: NotificationMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const run = () => {
      this.purgeAll().catch((error: Error) => this.logger.warn({ msg: 'retention purge failed', reason: error.message }));
      this.purgeIdempotencyKeys().catch((error: Error) => this.logger.warn({ msg: 'idempotency key purge failed', reason: error.message }));
    };
    this.firstRun = setTimeout(run, FIRST_RUN_MS).unref();
    this.timer = setInterval(run, EVERY_MS).unref();
  }

  onModuleDestroy(): void {
    if (this.firstRun) clearTimeout(this.firstRun);
    if (this.timer) clearInterval(this.timer);
  }

  /** Deletes Idempotency-Keys past retention, in batches; returns how many. */
  async purgeIdempotencyKeys(): Promise<number> {
    const deleted = await purgeExpiredIdempotencyKeys(this.dataSource);
    if (deleted > 0) this.logger.log({ msg: 'deleted expired idempotency keys', keys: deleted });
    return deleted;
  }

  /** Deliveries past retention; returns how many were deleted. */
  async purge(): Promise<number> {
    return this.purgeTable(purges(this.days())[0]);
  }

  /** Everything past retention, table by table; returns the rows deleted per table. */
  async purgeAll(): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    const days = this.days();
    for (const purge of purges(days)) deleted[purge.table] = await this.purgeTable(purge);
    deleted.order_snapshots = await this.purgeSnapshots();
    deleted.disabled_registrations = await this.purgeTable({
      table: 'disabled_registrations',
      // After the order's snapshot: a 410 record is kept while the order is.
      statement: `WITH deleted AS (DELETE FROM ${NOTIFICATIONS}."disabled_registrations" WHERE ctid = ANY(ARRAY(
          SELECT d.ctid FROM ${NOTIFICATIONS}."disabled_registrations" d
          WHERE d.disabled_at < now() - ${days} * interval '1 day'
            AND NOT EXISTS (SELECT 1 FROM ${NOTIFICATIONS}."order_snapshots" s WHERE s.merchant = d.merchant AND s.order_id = d.order_id)
          LIMIT ${CHUNK}))
        RETURNING 1) SELECT count(*)::int AS deleted FROM deleted`,
    });
    return deleted;
  }

  private async purgeTable({ table, statement }: { table: string; statement: string }): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ deleted }]: { deleted: number }[] = await this.dataSource.query(statement);
      total += deleted;
      if (deleted < CHUNK) break;
    }
    this.recordDeleted(table, total);
    return total;
  }

  /**
   * Snapshots of orders not changed within the period. Walked in primary-key order, a page per
   * statement, instead of through an index on their time: that index would cost every snapshot
   * upsert of ingest a write, for a purge that runs hourly.
   */
  private async purgeSnapshots(): Promise<number> {
    let total = 0;
    let after = { merchant: '', orderId: '' };
    for (;;) {
      const [page]: { seen: number; deleted: number; last_merchant: string | null; last_order_id: string | null }[] = await this.dataSource.query(
        `WITH page AS (
           SELECT merchant, order_id FROM ${NOTIFICATIONS}."order_snapshots"
           WHERE (merchant, order_id) > ($3, $4) ORDER BY merchant, order_id LIMIT $2
         ), deleted AS (
           DELETE FROM ${NOTIFICATIONS}."order_snapshots" s USING page
           WHERE s.merchant = page.merchant AND s.order_id = page.order_id AND s.updated_at < now() - $1::int * interval '1 day'
           RETURNING 1
         ), last AS (SELECT merchant, order_id FROM page ORDER BY merchant DESC, order_id DESC LIMIT 1)
         SELECT (SELECT count(*)::int FROM page) AS seen, (SELECT count(*)::int FROM deleted) AS deleted,
                (SELECT merchant FROM last) AS last_merchant, (SELECT order_id FROM last) AS last_order_id`,
        [this.config.retentionDays, CHUNK, after.merchant, after.orderId],
      );
      total += page.deleted;
      if (page.seen < CHUNK || page.last_merchant === null || page.last_order_id === null) break;
      after = { merchant: page.last_merchant, orderId: page.last_order_id };
    }
    this.recordDeleted('order_snapshots', total);
    return total;
  }

  private days(): string {
    return sqlInteger(this.config.retentionDays);
  }

  private recordDeleted(table: string, deleted: number): void {
    if (deleted === 0) return;
    this.metrics.retentionDeleted.inc({ table }, deleted);
    this.logger.log({ msg: 'deleted rows past retention', table, deleted, retentionDays: this.config.retentionDays });
  }
}
