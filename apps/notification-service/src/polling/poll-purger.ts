import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { DEFAULT_POLL_PURGE_INTERVAL_MS, POLL_RETENTION_DAYS, POLLING_OPTIONS, PollingOptions } from './poll-options';
import { NotificationMetrics } from '../metrics/notification-metrics';
import { PollQueue } from './poll-queue';

/** Deletes poll messages past their 30 days, or past RETENTION_DAYS when shorter, in the background; every instance may run it (SKIP LOCKED). */
@Injectable()
export class PollPurger implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PollPurger.name);
  private readonly intervalMs: number;
  private readonly retentionDays: number;
  private timer: NodeJS.Timeout | null = null;
  private firstRun: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly queue: PollQueue,
    @Optional() @Inject(POLLING_OPTIONS) options: PollingOptions | null = null,
    // Absent where the poll queue runs without the service's metrics (feature tests).
    @Optional() @Inject(NotificationMetrics) private readonly metrics: NotificationMetrics | null = null,
  ) {
    this.intervalMs = options?.purgeIntervalMs ?? DEFAULT_POLL_PURGE_INTERVAL_MS;
    this.retentionDays = Math.min(options?.retentionDays ?? POLL_RETENTION_DAYS, POLL_RETENTION_DAYS);
  }

  onApplicationBootstrap(): void {
    if (this.intervalMs <= 0) return;
    const run = () => {
      this.running ??= this.purge()
        .then(() => undefined, (error: unknown) => this.logger.error(`purging expired poll messages failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => (this.running = null));
    };
    // A first purge soon after start, so instances restarted more often than the interval still purge.
    this.firstRun = setTimeout(run, Math.min(60_000, this.intervalMs)).unref();
    this.timer = setInterval(run, this.intervalMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.firstRun) clearTimeout(this.firstRun);
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One purge now; returns how many messages it deleted. */
  async purge(): Promise<number> {
    const deleted = await this.queue.purgeExpired(undefined, this.retentionDays);
    if (deleted > 0) {
      this.metrics?.retentionDeleted.inc({ table: 'poll_messages' }, deleted);
      this.logger.log(`purged ${deleted} expired poll messages`);
    }
    return deleted;
  }
}
