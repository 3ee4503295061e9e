import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MetricsRegistry } from '@ordercast/platform';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';

/**
 * The outbox backlog (changes committed but not yet on the bus) and its oldest row's age, and the
 * changes parked because the bus refused them for good: how many there are (read at scrape time)
 * and how many this instance parked, by reason.
 */
@Injectable()
export class OutboxMetrics {
  readonly parkedTotal: Counter<'reason'>;

  constructor(metrics: MetricsRegistry, @InjectDataSource() dataSource: DataSource) {
    const age = new Gauge({ name: 'ordercast_outbox_oldest_unsent_seconds', help: 'Age of the oldest change not yet published', registers: [metrics.registry] });
    new Gauge({
      name: 'ordercast_outbox_parked',
      help: 'Order changes the event bus refused for good, parked and never published',
      registers: [metrics.registry],
      async collect() {
        const [row] = (await dataSource.query('SELECT count(*)::int AS parked FROM orders.outbox WHERE parked_at IS NOT NULL')) as { parked: number }[];
        this.set(row.parked);
      },
    });
    this.parkedTotal = new Counter({
      name: 'ordercast_outbox_parked_total',
      help: 'Order changes this instance parked because the event bus refused them for good, by reason',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
    new Gauge({
      name: 'ordercast_outbox_backlog',
      help: 'Order changes committed but not yet published to the event bus',
      registers: [metrics.registry],
      async collect() {
        const [row] = (await dataSource.query(
          `SELECT count(*)::int AS unsent, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS oldest
             FROM orders.outbox WHERE sent_at IS NULL AND parked_at IS NULL`,
        )) as { unsent: number; oldest: number }[];
        this.set(row.unsent);
        age.set(row.oldest);
      },
    });
  }
}
