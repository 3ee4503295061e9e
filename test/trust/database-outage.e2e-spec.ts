import request from 'supertest';
import type { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../support/database';
import { untilQuiet } from '../support/quiet';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import {
  ALPHA, connect, createOrder, eventually, hook, InProcessService, ORDERS, setState, sleep, startNotificationService, startOrderService, topicPrefix,
} from './support/services';
import { TcpProxy } from './support/tcp-proxy';

jest.setTimeout(120_000);

const LEASE_MS = 3000;

/**
 * Both services reach PostgreSQL through a TCP proxy that the test cuts for a few seconds (every
 * connection dropped, new ones refused), while deliveries are in flight and changes are in the
 * pipeline. The shared PostgreSQL server itself is never stopped.
 */
describe('PostgreSQL connection lost (TCP proxy cut, real PostgreSQL, real Kafka)', () => {
  let db: TestDatabase;
  let sql: Client;
  let proxy: TcpProxy;
  let sink: RecordingSink;
  let orders: InProcessService;
  let notifications: InProcessService;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect(db.url);
    const server = new URL(db.url);
    proxy = await TcpProxy.start(server.hostname, Number(server.port || 5432));
    sink = await RecordingSink.start(() => ({ status: 200, body: 'ok', delayMs: 300 }));
    const env = { DATABASE_URL: proxy.url(db.url), KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('database') };
    orders = await startOrderService(env);
    // Polling less often than the other suites: every failed poll during the outage is a log line.
    notifications = await startNotificationService({ ...env, LEASE_MS: String(LEASE_MS), DISPATCH_POLL_MS: '250' });
  });

  afterAll(async () => {
    proxy?.restore();
    await notifications?.close();
    await orders?.close();
    await proxy?.close();
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  const healthOf = async (service: InProcessService) => {
    const response = await request(service.http).get('/health');
    return { status: response.status, database: response.body?.details?.database?.status as string | undefined };
  };

  const arrived = () => sink.webhookIdsByDelivery();

  it('reports unhealthy while the database is unreachable, recovers by itself and loses nothing', async () => {
    const registration = hook(sink.url('/database'), { state: ['checkout', 'processing'] });
    const first = await Promise.all([...Array(10).keys()].map(() => createOrder(orders.http, { notifications: [registration] })));
    for (const order of first.slice(0, 5)) await setState(orders.http, order.id, 'processing');
    await sink.until(() => sink.pending().length > 0, 30_000, () => 'a delivery in flight');

    proxy.cut();
    const cutAt = Date.now();
    for (const service of [orders, notifications]) {
      await eventually(async () => (await healthOf(service)).status === 503, 15_000, async () => JSON.stringify(await healthOf(service)));
      expect(await healthOf(service)).toEqual({ status: 503, database: 'down' });
    }
    // A change cannot be accepted without its database; it is refused, not half-written, as a 503 to retry (not a 500).
    const refused = await request(orders.http).put(`${ORDERS}/${first[5].id}/state`).set(ALPHA).send({ currentStatus: 'processing' });
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', retryAfterSeconds: 1 });
    // The outage lasts a few seconds, while ingest, dispatch, result writes and the relay keep trying.
    await sleep(Math.max(0, 4000 - (Date.now() - cutAt)));
    proxy.restore();

    for (const service of [orders, notifications]) {
      await eventually(async () => (await healthOf(service)).status === 200, 30_000, async () => JSON.stringify(await healthOf(service)));
    }
    for (const order of first.slice(5)) await setState(orders.http, order.id, 'processing');

    const expected = first.flatMap((o) => [`${o.id} state.checkout`, `${o.id} state.processing`]);
    await eventually(() => expected.every((pair) => arrived().has(pair)), 60_000, () => `missing ${expected.filter((pair) => !arrived().has(pair)).join(', ')}`, 100);
    // Attempts whose results could not be written stay leased and pending until they are sent again: quiet means every repeat arrived.
    await untilQuiet(sql);

    const pairs = arrived();
    expect([...pairs.keys()].sort()).toEqual([...expected].sort());
    // At-least-once: a delivery may have been repeated, but always as the same message.
    expect([...pairs.values()].filter((ids) => ids.size !== 1)).toEqual([]);
    const { rows } = await sql.query<{ status: string; n: number }>(
      `SELECT status, count(DISTINCT message_id)::int AS n FROM notifications.events GROUP BY status`);
    expect(rows).toEqual([{ status: 'succeeded', n: expected.length }]);
    const [{ unsent }] = (await sql.query<{ unsent: number }>('SELECT count(*)::int AS unsent FROM orders.outbox WHERE sent_at IS NULL')).rows;
    expect(unsent).toBe(0);
    const repeated = sink.received().length - expected.length;
    console.log(`database-outage: ${repeated} deliveries repeated after the outage`);
  });
});
