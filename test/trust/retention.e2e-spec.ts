import { DataSource } from 'typeorm';
import type { Client } from 'pg';
import { EventRetention } from '../../apps/notification-service/src/events/retention.service';
import { PollQueue } from '../../apps/notification-service/src/polling';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import {
  createOrder, eventually, hook, inBatches, InProcessService, setState, startTrustStack, topicPrefix, TrustStack,
} from './support/services';

jest.setTimeout(120_000);

const OLD_DELIVERIES = 12_000;
const OLD_POLL_MESSAGES = 2_500;

/**
 * Retention: deliveries (message and attempts) older than RETENTION_DAYS and poll messages past
 * their 30 days are deleted in batches, while the dispatcher keeps delivering; anything still
 * pending, retried recently, or younger than the retention stays.
 */
describe('retention purge (real PostgreSQL, real Kafka)', () => {
  let stack: TrustStack;
  let sql: Client;
  let sink: RecordingSink;
  let orders: InProcessService;
  let notifications: InProcessService;

  beforeAll(async () => {
    sink = await RecordingSink.start(() => ({ status: 200, body: 'ok', delayMs: 20 }));
    stack = await startTrustStack({ KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('retention'), RETENTION_DAYS: '1' });
    ({ sql, orders, notifications } = stack);
  });

  afterAll(async () => {
    await stack?.close();
    await sink?.close();
  });

  /** Deliveries as ingest and dispatch leave them, created `age` ago, with one attempt per given status and age. */
  async function seed(count: number, age: string, attempts: { status: string; age: string }[], tag: string): Promise<void> {
    await sql.query(
      `WITH m AS (
         INSERT INTO notifications.messages (id, merchant, order_id, change_id, target_id, scope, delivery, url, method, headers, body, created_at)
         SELECT gen_random_uuid(), 'alpha', $3 || '-' || i, gen_random_uuid()::text, 'registration-' || i, 'state.completed', 'webhook',
                'https://erp.example.com/hook', 'POST', '{}', '{"id":"x"}', now() - $2::interval
         FROM generate_series(1, $1::int) AS i
         RETURNING id, order_id
       )
       INSERT INTO notifications.events (id, message_id, merchant, order_id, channel, scope, type, delivery, attempt, trigger, status, created_at, next_attempt_at, completed_at)
       SELECT gen_random_uuid(), m.id, 'alpha', m.order_id, 'web', 'state.completed', 'order.state.changed', 'webhook', a.attempt, 'automatic', a.status,
              now() - a.age::interval, CASE WHEN a.status = 'pending' THEN now() + interval '1 day' END,
              CASE WHEN a.status <> 'pending' THEN now() - a.age::interval END
       FROM m CROSS JOIN unnest($4::text[], $5::text[]) WITH ORDINALITY AS a(status, age, attempt)`,
      [count, age, tag, attempts.map((a) => a.status), attempts.map((a) => a.age)],
    );
  }

  const countWhere = async (table: string, condition: string) =>
    (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications.${table} WHERE ${condition}`)).rows[0].n;

  it('deletes expired deliveries and poll messages in batches while deliveries keep flowing, and keeps everything else', async () => {
    await seed(OLD_DELIVERIES, '3 days', [{ status: 'failed', age: '3 days' }, { status: 'succeeded', age: '3 days' }], 'old');
    await seed(3, '3 days', [{ status: 'failed', age: '3 days' }, { status: 'pending', age: '3 days' }], 'old-pending');
    await seed(3, '3 days', [{ status: 'failed', age: '3 days' }, { status: 'succeeded', age: '2 hours' }], 'old-recent-retry');
    await seed(3, '2 hours', [{ status: 'succeeded', age: '2 hours' }], 'young');
    await sql.query(
      `INSERT INTO notifications.poll_messages (id, merchant, order_id, body, created_at, visible_at, expires_at)
       SELECT gen_random_uuid(), 'alpha', 'poll-' || i, '{"id":"x"}', now() - interval '31 days', now() - interval '31 days',
              now() - interval '1 day' + (CASE WHEN i > $1::int THEN interval '2 days' ELSE interval '0' END)
       FROM generate_series(1, $1::int + 5) AS i`,
      [OLD_POLL_MESSAGES],
    );

    // Counts the statements the purge issues (the real queries still run), and holds the purge after
    // its first batch until deliveries made meanwhile have gone out: the purge is under way, not done.
    const dataSource = notifications.app.get(DataSource);
    const query = dataSource.query.bind(dataSource);
    let deleteStatements = 0;
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    dataSource.query = (async (text: string, parameters?: unknown[]) => {
      if (/^\s*(WITH deleted AS \()?DELETE FROM "notifications"\."(messages|poll_messages)"/.test(text)) {
        deleteStatements += 1;
        if (deleteStatements === 2) await resumed;
      }
      return query(text, parameters);
    }) as DataSource['query'];

    const purging = Promise.all([notifications.app.get(EventRetention).purge(), notifications.app.get(PollQueue).purgeExpired()]);
    let purged = false;
    void purging.then(() => (purged = true), () => undefined);
    const orderIds = await inBatches([...Array(10).keys()], 5, async () => {
      const order = await createOrder(orders.http, { notifications: [hook(sink.url('/retention'), { state: ['processing'] })] });
      await setState(orders.http, order.id, 'processing');
      return order.id;
    });
    await eventually(async () => (await countWhere('events', `order_id = ANY('{${orderIds.join(',')}}') AND status = 'succeeded'`)) === orderIds.length,
      30_000, () => `${sink.received().length} of ${orderIds.length} deliveries`);
    expect(purged).toBe(false);
    resume();
    const [deliveries, pollMessages] = await purging;
    dataSource.query = query;

    expect(deliveries).toBe(OLD_DELIVERIES);
    expect(pollMessages).toBe(OLD_POLL_MESSAGES);
    // Bounded statements (5000 deliveries, 1000 poll messages each), never one statement over the whole table.
    expect(deleteStatements).toBeGreaterThanOrEqual(Math.ceil(OLD_DELIVERIES / 5000) + Math.ceil(OLD_POLL_MESSAGES / 1000));

    expect(await countWhere('messages', `order_id LIKE 'old-%' AND order_id NOT LIKE 'old-pending-%' AND order_id NOT LIKE 'old-recent-retry-%'`)).toBe(0);
    expect(await countWhere('events', `order_id LIKE 'old-%' AND order_id NOT LIKE 'old-pending-%' AND order_id NOT LIKE 'old-recent-retry-%'`)).toBe(0);
    expect(await countWhere('events', `order_id LIKE 'old-pending-%'`)).toBe(6);
    expect(await countWhere('events', `order_id LIKE 'old-recent-retry-%'`)).toBe(6);
    expect(await countWhere('events', `order_id LIKE 'young-%'`)).toBe(3);
    expect(await countWhere('poll_messages', 'true')).toBe(5);

    expect(sink.received()).toHaveLength(orderIds.length);
  });
});
