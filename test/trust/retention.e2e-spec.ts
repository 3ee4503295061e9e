import { DataSource } from 'typeorm';
import type { Client } from 'pg';
import { EventRetention } from '../../apps/notification-service/src/events/retention.service';
import { PollQueue } from '../../apps/notification-service/src/polling';
import { PollPurger } from '../../apps/notification-service/src/polling/poll-purger';
import request from 'supertest';
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
 * pending, retried recently, or younger than the retention stays. So is everything else holding
 * order or customer data: order snapshots, 410 Gone records, parked changes, ingest attempt
 * counts, and poll messages older than RETENTION_DAYS.
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

  it('deletes every other table holding order or customer data past RETENTION_DAYS, in batches, counted per table', async () => {
    const SNAPSHOTS = 12_000;
    await sql.query(
      `INSERT INTO notifications.order_snapshots (merchant, order_id, channel, snapshot, occurred_at, last_modified, change_id, change_type, updated_at)
       SELECT 'alpha', $1 || '-' || i, 'web', '{"customer":{"email":"buyer@example.com"}}', now() - $2::interval, now() - $2::interval, gen_random_uuid()::text,
              'order.state.changed', now() - $2::interval
       FROM generate_series(1, $3::int) AS i`,
      ['snapshot-old', '3 days', SNAPSHOTS],
    );
    await sql.query(
      `INSERT INTO notifications.order_snapshots (merchant, order_id, channel, snapshot, occurred_at, last_modified, change_id, change_type, updated_at)
       SELECT 'alpha', 'snapshot-young-' || i, 'web', '{}', now(), now(), gen_random_uuid()::text, 'order.state.changed', now() - interval '2 hours'
       FROM generate_series(1, 3) AS i`,
    );
    // 410 records: one of an order whose snapshot goes, one of an order still kept, one recent.
    await sql.query(
      `INSERT INTO notifications.disabled_registrations (merchant, notification_id, order_id, event_id, reason, disabled_at) VALUES
         ('alpha', 'gone-1', 'snapshot-old-1', gen_random_uuid(), '410 Gone', now() - interval '3 days'),
         ('alpha', 'kept-1', 'snapshot-young-1', gen_random_uuid(), '410 Gone', now() - interval '3 days'),
         ('alpha', 'recent-1', 'snapshot-old-2', gen_random_uuid(), '410 Gone', now() - interval '2 hours')`,
    );
    await sql.query(
      `INSERT INTO notifications.parked_changes (change_id, merchant, order_id, channel, type, occurred_at, topic, partition, "offset", attempts, reason, event, parked_at)
       SELECT 'parked-' || age, 'alpha', 'o-1', 'web', 'order.state.changed', now(), 't', 0, '1', 3, 'boom', '{"order":{"customer":{}}}', now() - age::interval
       FROM unnest(ARRAY['3 days', '2 hours']) AS age`,
    );
    await sql.query(
      `INSERT INTO notifications.ingest_attempts (change_id, merchant, order_id, attempts, updated_at)
       SELECT 'attempt-' || age, 'alpha', 'o-1', 1, now() - age::interval FROM unnest(ARRAY['3 days', '2 hours']) AS age`,
    );
    // Within their 30 days, but older than RETENTION_DAYS.
    await sql.query(
      `INSERT INTO notifications.poll_messages (id, merchant, order_id, body, created_at, visible_at, expires_at)
       SELECT gen_random_uuid(), 'alpha', 'poll-' || age, '{"id":"x"}', now() - age::interval, now(), now() + interval '20 days'
       FROM unnest(ARRAY['3 days', '2 hours']) AS age`,
    );

    // The service's own hourly run may get there first; either way the rows go and are counted once.
    const oldPollMessages = await countWhere('poll_messages', `created_at < now() - interval '1 day'`);
    await notifications.app.get(EventRetention).purgeAll();
    await notifications.app.get(PollPurger).purge();

    expect(await countWhere('order_snapshots', `order_id LIKE 'snapshot-old-%'`)).toBe(0);
    expect(await countWhere('order_snapshots', `order_id LIKE 'snapshot-young-%'`)).toBe(3);
    expect((await sql.query(`SELECT notification_id FROM notifications.disabled_registrations ORDER BY 1`)).rows.map((r) => r.notification_id)).toEqual(['kept-1', 'recent-1']);
    expect((await sql.query(`SELECT change_id FROM notifications.parked_changes`)).rows).toEqual([{ change_id: 'parked-2 hours' }]);
    expect((await sql.query(`SELECT change_id FROM notifications.ingest_attempts WHERE change_id LIKE 'attempt-%'`)).rows).toEqual([{ change_id: 'attempt-2 hours' }]);
    expect(await countWhere('poll_messages', `created_at < now() - interval '1 day'`)).toBe(0);
    expect(await countWhere('poll_messages', `order_id = 'poll-2 hours'`)).toBe(1);

    const metrics = (await request(notifications.http).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(new RegExp(`^ordercast_retention_deleted_total\\{table="order_snapshots"\\} ${SNAPSHOTS}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^ordercast_retention_deleted_total\\{table="poll_messages"\\} ${oldPollMessages}$`, 'm'));
    expect(metrics).toMatch(/^ordercast_retention_deleted_total\{table="parked_changes"\} 1$/m);
    expect(metrics).toMatch(/^ordercast_retention_deleted_total\{table="ingest_attempts"\} 1$/m);
    expect(metrics).toMatch(/^ordercast_retention_deleted_total\{table="disabled_registrations"\} 1$/m);
  });
});
