import request from 'supertest';
import type { Client } from 'pg';
import { KafkaBroker } from '../harness/kafka-broker';
import { createTestDatabase, TestDatabase } from '../support/database';
import { untilQuiet } from '../support/quiet';
import { RecordingSink } from './support/recording-sink';
import {
  connect, createOrder, eventually, hook, InProcessService, setState, startNotificationService, startOrderService, topicPrefix,
} from './support/services';

jest.setTimeout(120_000);

/**
 * The Kafka broker (a dedicated one: the suite stops it) goes away while orders keep changing:
 * order-service keeps accepting every change into its outbox, both services report the bus down,
 * and once the broker is back every notification arrives, each exactly once.
 */
describe('Kafka broker outage (real broker stopped and restarted, real PostgreSQL)', () => {
  let broker: KafkaBroker;
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: InProcessService;
  let notifications: InProcessService;
  /** A failed test may leave the broker stopped; the Kafka clients are closed against a running one, so they do not hang. */
  let brokerDown = false;

  beforeAll(async () => {
    [broker, db, sink] = await Promise.all([KafkaBroker.start(), createTestDatabase(), RecordingSink.start()]);
    sql = await connect(db.url);
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: broker.brokers.join(','), KAFKA_TOPIC_PREFIX: topicPrefix('broker') };
    orders = await startOrderService(env);
    notifications = await startNotificationService(env);
  });

  afterAll(async () => {
    if (brokerDown) await broker.restart();
    await notifications?.close();
    await orders?.close();
    await sink?.close();
    await sql?.end();
    await db?.drop();
    await broker?.destroy();
  });

  /** (orderId scope) → the webhook-ids it arrived with. */
  function arrived(): Map<string, string[]> {
    const pairs = new Map<string, string[]>();
    for (const r of sink.received()) {
      const body = JSON.parse(r.body) as { orderId: string; scope: string };
      const pair = `${body.orderId} ${body.scope}`;
      pairs.set(pair, [...(pairs.get(pair) ?? []), r.webhookId]);
    }
    return pairs;
  }

  async function waitForPairs(expected: string[], timeoutMs: number): Promise<void> {
    await eventually(() => expected.every((pair) => arrived().has(pair)), timeoutMs, () => `missing ${expected.filter((pair) => !arrived().has(pair)).join(', ')}`, 100);
  }

  const unsent = async () => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM orders.outbox WHERE sent_at IS NULL')).rows[0].n;

  it('keeps accepting order changes while the broker is down and delivers every notification once it is back', async () => {
    const registration = hook(sink.url('/broker'), { state: ['checkout', 'processing', 'accepted'] });
    const before = await Promise.all([1, 2, 3].map(() => createOrder(orders.http, { notifications: [registration] })));
    await waitForPairs(before.map((o) => `${o.id} state.checkout`), 30_000);

    brokerDown = true;
    await broker.stop();

    // Every change is accepted: it is in the outbox, waiting for the bus.
    for (const order of before) await setState(orders.http, order.id, 'processing');
    const during = await Promise.all([1, 2, 3].map(() => createOrder(orders.http, { notifications: [registration] })));
    for (const order of during) await setState(orders.http, order.id, 'processing');
    expect(await unsent()).toBe(before.length + 2 * during.length);

    for (const service of [orders, notifications]) {
      const health = await request(service.http).get('/health');
      expect(health.status).toBe(503);
      expect(health.body.details).toMatchObject({ database: { status: 'up' }, bus: { status: 'down' } });
    }
    // Nothing of the outage's changes can have been delivered.
    expect([...arrived().keys()].filter((pair) => !pair.endsWith('state.checkout'))).toEqual([]);

    await broker.restart();
    brokerDown = false;

    const all = [...before, ...during];
    await waitForPairs(all.flatMap((o) => [`${o.id} state.checkout`, `${o.id} state.processing`]), 60_000);
    // After the outage the pipeline works as before.
    for (const order of all) await setState(orders.http, order.id, 'accepted');
    const expected = all.flatMap((o) => ['checkout', 'processing', 'accepted'].map((state) => `${o.id} state.${state}`));
    await waitForPairs(expected, 30_000);
    await untilQuiet(sql);

    const pairs = arrived();
    expect([...pairs.keys()].sort()).toEqual([...expected].sort());
    expect([...pairs.values()].filter((ids) => ids.length !== 1)).toEqual([]);
    expect(await unsent()).toBe(0);
    await eventually(async () => (await request(orders.http).get('/health')).status === 200, 15_000, () => 'order-service healthy');
    await eventually(async () => (await request(notifications.http).get('/health')).status === 200, 15_000, () => 'notification-service healthy');
  });
});
