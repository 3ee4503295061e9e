import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { purgeExpiredIdempotencyKeys } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { NotificationServiceConfig } from '../config/notification-service.config';

const EVERY_MS = 60 * 60 * 1000;
/** A first purge soon after start, so instances restarted more often than hourly still purge. */
const FIRST_RUN_MS = 60 * 1000;
const CHUNK = 5000;

/**
 * Deletes deliveries (message and every attempt) older than RETENTION_DAYS. A delivery with a
 * pending attempt, or an attempt inside the period (a recent retry), is kept whole. Also deletes
 * Idempotency-Keys past their 24 hours.
 */
@Injectable()
export class EventRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventRetention.name);
  private timer: NodeJS.Timeout | null = null;
  private firstRun: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: NotificationServiceConfig,
  ) {}

  onApplicationBootstrap(): void {
    const run = () => {
      this.purge().catch((error: Error) => this.logger.warn({ msg: 'retention purge failed', reason: error.message }));
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

  async purge(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows: { id: string }[] = await this.dataSource.query(
        // Wrapped in a SELECT: TypeORM returns [rows, count] for a top-level DELETE.
        `WITH deleted AS (DELETE FROM "notifications"."messages" WHERE id IN (
           SELECT m.id FROM "notifications"."messages" m
           WHERE m.created_at < now() - $1::int * interval '1 day'
             AND NOT EXISTS (SELECT 1 FROM "notifications"."events" e
                             WHERE e.message_id = m.id AND (e.status = 'pending' OR e.created_at >= now() - $1::int * interval '1 day'))
           LIMIT $2)
         RETURNING id) SELECT id FROM deleted`,
        [this.config.retentionDays, CHUNK],
      );
      total += rows.length;
      if (rows.length < CHUNK) break;
    }
    if (total > 0) this.logger.log({ msg: 'deleted deliveries past retention', deliveries: total, retentionDays: this.config.retentionDays });
    return total;
  }
}
