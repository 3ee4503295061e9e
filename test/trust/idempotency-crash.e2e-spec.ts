import type { Order } from '@ordercast/contracts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Client } from 'pg';
import request from 'supertest';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { KILL_BEFORE_RESPONSE_HEADER } from './support/kill-before-response';
import { RecordingSink } from './support/recording-sink';
import { ensureBuilt, ServiceProcess } from './support/service-process';
import {
  ALPHA, allEvents, connect, createOrder, eventually, hook, InProcessService, ORDERS, setState, startNotificationService, topicPrefix, TRUST_ENV,
} from './support/services';

jest.setTimeout(120_000);

const PRELOAD = resolve(__dirname, '..', '..', 'dist', 'test', 'trust', 'support', 'kill-before-response.js');
const payment = { adapterId: 'klarna-checkout', name: 'Klarna', amount: 998, state: 'authorized' };

/**
 * A payment adapter's POST /payments commits, and order-service dies (SIGKILL) before its response
 * leaves: the adapter never learns the outcome and retries with the same Idempotency-Key once the
 * service is back. The retry replays the first response; the order has exactly one payment, and
 * the receiver gets exactly one payment notification.
 */
describe('Idempotency-Key across a crash between commit and response (real process, real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: ServiceProcess;
  let notifications: InProcessService;

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
    sql = await connect(db.url);
    sink = await RecordingSink.start();
    const shared = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('idempotency-crash') };
    notifications = await startNotificationService(shared);
    orders = await ServiceProcess.start('order-service', { ...TRUST_ENV, ...shared, LOG_LEVEL: 'log', NODE_OPTIONS: `--require ${PRELOAD}` },
      join(mkdtempSync(join(tmpdir(), 'ordercast-idempotency-')), 'order-service.log'));
  });

  afterAll(async () => {
    await orders?.stop();
    await notifications?.close();
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  it('replays the committed payment to the retry: one payment, one payment notification', async () => {
    const order = await createOrder(orders.url, { notifications: [hook(sink.url('/adapter'), { payment: true, state: ['processing'] })] });
    const key = `pay-${order.id}`;

    const lost = await request(orders.url).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).set('Idempotency-Key', key)
      .set(KILL_BEFORE_RESPONSE_HEADER, '1').send(payment).then(() => 'answered', (error: Error) => error.message);
    expect(lost).toMatch(/socket hang up|ECONNRESET/);
    expect(await orders.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    // The payment, its change event and the key committed together before the process died.
    const stored = (await sql.query<{ document: Order }>('SELECT document FROM orders.orders WHERE id = $1', [order.id])).rows[0].document;
    expect(stored.payments).toHaveLength(1);
    expect((await sql.query('SELECT 1 FROM orders.idempotency_keys WHERE merchant = $1 AND key = $2', ['alpha', key])).rowCount).toBe(1);

    await orders.restart();
    const retried = await request(orders.url).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).set('Idempotency-Key', key).send(payment);
    expect(retried.status).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body).toMatchObject({ id: stored.payments[0].id, state: 'authorized', amount: 998 });
    const read = await request(orders.url).get(`${ORDERS}/${order.id}`).set(ALPHA);
    expect(read.body.payments).toHaveLength(1);
    const changes = await sql.query("SELECT payload->>'type' AS type FROM orders.outbox WHERE order_id = $1 ORDER BY seq", [order.id]);
    expect(changes.rows.map((row) => row.type)).toEqual(['order.created', 'order.payment.changed']);

    // A later change of the same order is ingested after every earlier one (one Kafka key, one
    // partition): once its delivery exists, any second payment delivery would exist too.
    await setState(orders.url, order.id, 'processing');
    await eventually(
      async () => (await allEvents(notifications.http, ALPHA, { orderId: order.id })).some((event) => event.scope === 'state.processing'),
      60_000, () => 'no state.processing delivery',
    );
    await sink.until(() => sink.received('/adapter').some((r) => JSON.parse(r.body).scope === 'payment.authorized'), 60_000, () => 'no payment notification');
    const paymentDeliveries = (await allEvents(notifications.http, ALPHA, { orderId: order.id })).filter((event) => event.scope.startsWith('payment.'));
    expect(new Set(paymentDeliveries.map((event) => event.messageId)).size).toBe(1);
    const paymentWebhooks = sink.received('/adapter').filter((r) => JSON.parse(r.body).scope.startsWith('payment.'));
    expect(new Set(paymentWebhooks.map((r) => r.webhookId)).size).toBe(1);
  });
});
