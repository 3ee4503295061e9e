import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MetricsRegistry } from '@ordercast/platform';
import { Counter, Gauge, Histogram } from 'prom-client';
import { DataSource } from 'typeorm';

/**
 * What operators watch on notification-service: attempts by outcome and their duration,
 * the backlog of pending and due rows (read at scrape time, from the dispatch index), and
 * how far ingest runs behind the changes it consumes.
 */
@Injectable()
export class NotificationMetrics {
  readonly deliveries: Counter<'status'>;
  readonly attemptDuration: Histogram;
  readonly ingestLag: Histogram;
  readonly ingested: Counter;
  readonly consumerLag: Gauge<'partition'>;
  readonly matchRefusals: Counter<'kind'>;
  readonly parkedChanges: Counter;
  readonly retentionDeleted: Counter<'table'>;
  readonly alerts: Counter<'type' | 'outcome'>;

  constructor(metrics: MetricsRegistry, @InjectDataSource() dataSource: DataSource) {
    const registers = [metrics.registry];
    this.deliveries = new Counter({ name: 'ordercast_deliveries_total', help: 'Delivery attempts recorded, by resulting status', labelNames: ['status'], registers });
    this.attemptDuration = new Histogram({
      name: 'ordercast_delivery_attempt_duration_seconds',
      help: 'Duration of a delivery attempt (request to response or failure)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.ingestLag = new Histogram({
      name: 'ordercast_ingest_lag_seconds',
      help: 'Consumer lag in time: from a change occurring in order-service to notification-service storing its deliveries',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120],
      registers,
    });
    this.ingested = new Counter({ name: 'ordercast_change_events_ingested_total', help: 'Order change events consumed', registers });
    this.consumerLag = new Gauge({
      name: 'ordercast_consumer_lag_messages',
      help: 'Consumer lag in messages: change events in a partition after the last batch ingested from it',
      labelNames: ['partition'],
      registers,
    });
    this.matchRefusals = new Counter({
      name: 'ordercast_match_refusals_total',
      help: 'Watches recorded as non-matches without running their schema: kind schema (over the limits or not compiling), value (too large) or budget (the change spent its matching budget)',
      labelNames: ['kind'],
      registers,
    });
    this.parkedChanges = new Counter({ name: 'ordercast_parked_changes_total', help: 'Change events parked after repeated ingest failures', registers });
    this.retentionDeleted = new Counter({
      name: 'ordercast_retention_deleted_total',
      help: 'Rows deleted past their retention, by table',
      labelNames: ['table'],
      registers,
    });
    this.alerts = new Counter({
      name: 'ordercast_alerts_total',
      help: 'Operational alerts raised, by type and outcome: sent (to every alert subscription of the type, maybe none) or debounced',
      labelNames: ['type', 'outcome'],
      registers,
    });
    new Gauge({
      name: 'ordercast_pending_events',
      help: 'Pending Events, split by whether they are due now',
      labelNames: ['due'],
      registers,
      async collect() {
        const [row] = (await dataSource.query(
          `SELECT count(*)::int AS pending, count(*) FILTER (WHERE next_attempt_at <= now())::int AS due
             FROM notifications.events WHERE status = 'pending'`,
        )) as { pending: number; due: number }[];
        this.set({ due: 'false' }, row.pending - row.due);
        this.set({ due: 'true' }, row.due);
      },
    });
  }

  /** One counter step per status and batch: a labelled increment looks its series up by the labels. */
  recordAttempts(results: { status: string; durationMs: number | null }[]): void {
    const byStatus = new Map<string, number>();
    for (const result of results) {
      byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
      if (result.durationMs !== null) this.attemptDuration.observe(result.durationMs / 1000);
    }
    for (const [status, count] of byStatus) this.deliveries.inc({ status }, count);
  }

  recordProgress(partition: number, lag: number): void {
    this.consumerLag.set({ partition: String(partition) }, lag);
  }

  recordIngested(occurredAt: string[], now = Date.now()): void {
    this.ingested.inc(occurredAt.length);
    for (const at of occurredAt) this.ingestLag.observe(Math.max(0, now - Date.parse(at)) / 1000);
  }
}
