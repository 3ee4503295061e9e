import { ORDER_EVENTS_TOPIC } from '@ordercast/contracts';
import type { Client } from 'pg';
import { HTTP_INVOKER, HttpInvoker } from '../../apps/notification-service/src/delivery/http-invoker';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import {
  connect, createOrder, eventually, groupStable, hook, inBatches, InProcessService, setState, startNotificationService, startOrderService, topicPrefix,
} from './support/services';

jest.setTimeout(120_000);

const ORDER_COUNT = 60;

/**
 * Two notification-service instances on one database and one Kafka consumer group share the
 * work: every delivery happens, the first attempt of half of them fails so retries are claimed
 * by whichever instance polls first, and no attempt is ever made twice, let alone at once.
 */
describe('two notification-service instances, one consumer group, one database (real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: InProcessService;
  const instances: InProcessService[] = [];
  const calls = [0, 0];
  const inFlight = [0, 0];
  const prefix = topicPrefix('scale');

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect(db.url);
    const seen = new Map<string, number>();
    sink = await RecordingSink.start((r) => {
      const count = (seen.get(r.webhookId) ?? 0) + 1;
      seen.set(r.webhookId, count);
      return r.path === '/flaky' && count === 1 ? { status: 503, delayMs: 50 } : { status: 200, body: 'ok', delayMs: 100 };
    });
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: prefix, CIRCUIT_FAILURE_THRESHOLD: '10000', DELIVERY_TIMEOUT_MS: '10000' };
    orders = await startOrderService(env);
    for (const index of [0, 1]) {
      const instance = await startNotificationService({ ...env, DISPATCH_CONCURRENCY: '8', PER_TARGET_CONCURRENCY: '8', DISPATCH_BATCH: '4' });
      // A spy, not a stub: every call still goes to the sink; it only counts which instance made it.
      const invoker = instance.app.get<HttpInvoker>(HTTP_INVOKER);
      const invoke = invoker.invoke.bind(invoker);
      invoker.invoke = (request) => {
        calls[index] += 1;
        inFlight[index] += 1;
        return invoke(request).finally(() => {
          inFlight[index] -= 1;
        });
      };
      instances.push(instance);
    }
  });

  afterAll(async () => {
    for (const instance of instances) await instance.close();
    await orders?.close();
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  it('delivers everything once per attempt, never attempting one row from both instances', async () => {
    await groupStable(kafkaBrokers(), `${prefix}notification-service`, 2);

    const orderIds = await inBatches([...Array(ORDER_COUNT).keys()], 6, async (index) => {
      const path = index % 2 === 0 ? '/flaky' : '/steady';
      const order = await createOrder(orders.http, { notifications: [hook(sink.url(path), { state: ['checkout', 'processing'] })] });
      await setState(orders.http, order.id, 'processing');
      return order.id;
    });
    const expected = ORDER_COUNT * 2;
    // Done is when nothing is left that could make a call: every delivery succeeded, no row is
    // pending and neither instance has a call in flight. The counts below are final from then on.
    await eventually(async () => {
      const [{ succeeded, pending }] = (await sql.query<{ succeeded: number; pending: number }>(
        `SELECT count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded, count(*) FILTER (WHERE status = 'pending')::int AS pending FROM notifications.events`)).rows;
      return succeeded === expected && pending === 0 && inFlight[0] + inFlight[1] === 0;
    }, 60_000, () => `${sink.received().length} requests so far`, 100);

    // Every (order, scope) delivered, as one message.
    const pairs = sink.webhookIdsByDelivery();
    expect([...pairs.keys()].sort()).toEqual(orderIds.flatMap((id) => [`${id} state.checkout`, `${id} state.processing`]).sort());
    expect([...pairs.values()].every((ids) => ids.size === 1)).toBe(true);

    // One request per attempt row: no attempt made by both instances, none made twice.
    const { rows } = await sql.query<{ message_id: string; attempts: number; failed: number }>(
      `SELECT message_id, count(*)::int AS attempts, count(*) FILTER (WHERE status = 'failed')::int AS failed FROM notifications.events GROUP BY message_id`);
    const requests = new Map<string, number>();
    for (const r of sink.received()) requests.set(r.webhookId, (requests.get(r.webhookId) ?? 0) + 1);
    expect(rows.filter((row) => requests.get(row.message_id) !== row.attempts)).toEqual([]);
    expect(rows.filter((row) => row.failed === 1)).toHaveLength(ORDER_COUNT);
    expect(sink.overlaps).toEqual([]);
    expect(sink.received()).toHaveLength(expected + ORDER_COUNT);

    // Both instances did part of the work.
    expect(calls[0] + calls[1]).toBe(sink.received().length);
    expect(calls[0]).toBeGreaterThan(0);
    expect(calls[1]).toBeGreaterThan(0);
    console.log(`scale-out: calls per instance ${calls.join(' / ')}; topic ${prefix}${ORDER_EVENTS_TOPIC}`);
  });
});
