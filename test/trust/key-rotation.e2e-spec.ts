import { SecretBox } from '@ordercast/platform';
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import request from 'supertest';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { WebhookSink } from '../support/webhook-sink';
import {
  ALPHA, connect, createOrder, hook, InProcessService, ORDERS, setState, startNotificationService, startOrderService, SUBSCRIPTIONS, topicPrefix,
} from './support/services';

jest.setTimeout(120_000);

const KEY_1 = randomBytes(32).toString('base64');
const KEY_2 = randomBytes(32).toString('hex');
const ORDER_KEY = `order-key-${randomBytes(8).toString('hex')}`;
const URL_TOKEN = `url-token-${randomBytes(8).toString('hex')}`;
const SUBSCRIPTION_KEY = `subscription-key-${randomBytes(8).toString('hex')}`;

/**
 * `ENCRYPTION_KEY=key2,key1` rotates the key without downtime: both services restart on the new
 * ring, everything sealed under key1 (registrations in orders, snapshots and change events,
 * subscriptions, signing keys) still opens and is delivered with its real values, and what is
 * sealed from then on names key2.
 */
describe('ENCRYPTION_KEY rotation (in-process services, real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: WebhookSink;
  let running: InProcessService[] = [];
  const prefix = topicPrefix('key-rotation');

  async function start(encryptionKey: string): Promise<[InProcessService, InProcessService]> {
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: prefix, ENCRYPTION_KEY: encryptionKey };
    running = [await startOrderService(env), await startNotificationService(env)];
    return [running[0], running[1]];
  }

  async function stop(): Promise<void> {
    for (const service of running.reverse()) await service.close();
    running = [];
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect(db.url);
    sink = await WebhookSink.start();
  });

  afterAll(async () => {
    await stop();
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  /** The key id of every sealed header value of the order's registrations, in order. */
  async function headerKeyIds(orderId: string): Promise<string[]> {
    const { rows: [row] } = await sql.query<{ document: { notifications: { headers: Record<string, string> }[] } }>('SELECT document FROM orders.orders WHERE id = $1', [orderId]);
    return row.document.notifications.flatMap((registration) => Object.values(registration.headers).map((value) => value.split('.')[1]));
  }

  it('opens what key1 sealed after ENCRYPTION_KEY=key2,key1, and seals what is new with key2', async () => {
    const [key1, key2] = [new SecretBox(KEY_1).sealingKeyId, new SecretBox(KEY_2).sealingKeyId];
    let [orders, notifications] = await start(KEY_1);
    const order = await createOrder(orders.http, {
      notifications: [hook(`${sink.url('/order')}?token=${URL_TOKEN}`, { state: ['processing', 'accepted'] }, { headers: { 'X-API-Key': ORDER_KEY } })],
    });
    const subscription = (await request(notifications.http).post(SUBSCRIPTIONS).set(ALPHA)
      .send({ name: 'erp', scope: { state: ['accepted'] }, url: sink.url('/subscription'), headers: { 'X-API-Key': SUBSCRIPTION_KEY } }).expect(201)).body;
    await setState(orders.http, order.id, 'processing');
    await sink.waitFor(1, 30_000, '/order');
    expect(await headerKeyIds(order.id)).toEqual([key1]);
    await stop();

    [orders, notifications] = await start(`${KEY_2},${KEY_1}`);
    await setState(orders.http, order.id, 'accepted');
    const [, fromKey1] = await sink.waitFor(2, 30_000, '/order');
    expect(fromKey1.url).toBe(`/order?token=${URL_TOKEN}`);
    expect(fromKey1.headers['x-api-key']).toBe(ORDER_KEY);
    expect(fromKey1.headers['x-jws-signature']).toEqual(expect.any(String));
    const [toSubscription] = await sink.waitFor(1, 30_000, '/subscription');
    expect(toSubscription.headers['x-api-key']).toBe(SUBSCRIPTION_KEY);
    expect((await request(notifications.http).get(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).expect(200)).body.headers).toEqual({ 'X-API-Key': '********' });

    await request(orders.http).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
      .send(hook(sink.url('/new'), { state: ['completed'] }, { headers: { 'X-API-Key': 'new-key-1' } })).expect(201);
    expect(await headerKeyIds(order.id)).toEqual([key1, key2]);
    await request(notifications.http).patch(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).send({ headers: { 'X-API-Key': '********' } }).expect(200);
    const { rows: [stored] } = await sql.query<{ headers: Record<string, string> }>('SELECT headers FROM notifications.subscriptions WHERE id = $1', [subscription.id]);
    expect(stored.headers['X-API-Key'].split('.')[1]).toBe(key2);
  });
});
