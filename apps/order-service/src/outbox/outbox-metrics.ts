import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { MetricsRegistry } from '@ordercast/platform';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';

/** The outbox backlog (changes committed but not yet on the bus) and its oldest row's age, read at scrape time. */
@Injectable()
export class OutboxMetrics {
  constructor(metrics: MetricsRegistry, @InjectDataSource() dataSource: DataSource) {
    const age = new Gauge({ name: 'ordercast_outbox_oldest_unsent_seconds', help: 'Age of the oldest change not yet published', registers: [metrics.registry] });
    new Gauge({
      name: 'ordercast_outbox_backlog',
      help: 'Order changes committed but not yet published to the event bus',
      registers: [metrics.registry],
      async collect() {
        const [row] = (await dataSource.query(
          `SELECT count(*)::int AS unsent, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS oldest
             FROM orders.outbox WHERE sent_at IS NULL`,
        )) as { unsent: number; oldest: number }[];
        this.set(row.unsent);
        age.set(row.oldest);
      },
    });
  }
}
