import type { INestApplication } from '@nestjs/common';
import { EVENT_BUS, EventBus } from '@ordercast/messaging';
import { loadConfig, SecretBox } from '@ordercast/platform';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Client } from 'pg';
import request from 'supertest';
import { NotificationServiceConfig } from '../../apps/notification-service/src/config/notification-service.config';
import { createNotificationServiceApp } from '../../apps/notification-service/src/create-notification-service-app';
import { OrderServiceConfig } from '../../apps/order-service/src/config/order-service.config';
import { createOrderServiceApp } from '../../apps/order-service/src/create-order-service-app';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { WebhookSink } from '../support/webhook-sink';
import {
  ALPHA, connect, createOrder, hook, InProcessService, ORDERS, setState, startNotificationService, startOrderService, SUBSCRIPTIONS, topicPrefix, TRUST_ENV,
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

/** A value as the embedded default sealed it before key rings: `enc:v1:`, AES-256-GCM under sha256 of its passphrase. */
function legacySealed(plain: string): string {
  const key = createHash('sha256').update('ordercast-embedded-demo-key-change-me').digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `enc:v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/**
 * What the embedded default stored before key rings (`enc:v1:` values under its old built-in key)
 * stays readable there without a migration: the launcher's config opens them. Nothing else does.
 */
describe('the embedded default reads what it sealed before key rings (in-process services, real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: WebhookSink;
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect(db.url);
    sink = await WebhookSink.start();
    const { API_TOKENS: _tokens, ENCRYPTION_KEY: _key, ...withoutSecrets } = TRUST_ENV;
    const env = { ...withoutSecrets, DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('legacy') };
    for (const create of [
      () => createOrderServiceApp(loadConfig(OrderServiceConfig, env, { embeddedDefault: true })),
      () => createNotificationServiceApp(loadConfig(NotificationServiceConfig, env, { embeddedDefault: true })),
    ]) {
      const app = await create();
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
      apps.push(app);
    }
  });

  afterAll(async () => {
    for (const app of apps.reverse()) {
      const bus = app.get<EventBus>(EVENT_BUS);
      await app.close();
      await bus.close().catch(() => undefined);
    }
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  it('delivers an order registration and a subscription whose header values are enc:v1 with their real values', async () => {
    const [orders, notifications] = apps.map((app) => app.getHttpServer() as Server);
    const demo = { 'x-merchant': 'demo', authorization: 'Bearer demo-token' };
    const order = await createOrder(orders, { notifications: [hook(sink.url('/legacy-order'), { state: ['processing'] }, { headers: { 'X-API-Key': 'replaced below' } })] }, demo);
    const subscription = (await request(notifications).post(SUBSCRIPTIONS).set(demo)
      .send({ name: 'old', scope: { state: ['processing'] }, url: sink.url('/legacy-subscription'), headers: { 'X-Token': 'replaced below' } }).expect(201)).body;
    await sql.query(`UPDATE orders.orders SET document = jsonb_set(document, '{notifications,0,headers,X-API-Key}', to_jsonb($2::text)) WHERE id = $1`, [order.id, legacySealed('old-order-key')]);
    await sql.query(`UPDATE notifications.subscriptions SET headers = jsonb_build_object('X-Token', $2::text) WHERE id = $1`, [subscription.id, legacySealed('old-subscription-key')]);

    expect((await request(orders).get(`${ORDERS}/${order.id}`).set(demo).expect(200)).body.notifications[0].headers).toEqual({ 'X-API-Key': '********' });
    await setState(orders, order.id, 'processing', demo);
    const [toOrder] = await sink.waitFor(1, 30_000, '/legacy-order');
    const [toSubscription] = await sink.waitFor(1, 30_000, '/legacy-subscription');
    expect(toOrder.headers['x-api-key']).toBe('old-order-key');
    expect(toSubscription.headers['x-token']).toBe('old-subscription-key');
  });
});
