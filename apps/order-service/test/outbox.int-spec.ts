import { ORDER_EVENTS_TOPIC, OrderChangeEvent, parseOrderChangeEvent } from '@ordercast/contracts';
import { EventBus, IncomingMessage, Subscription } from '@ordercast/messaging';
import { SecretBox } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { createTestDatabase } from '../../../test/support/database';
import { TEST_ENCRYPTION_KEY } from '../../../test/support/env';
import {
  ALPHA, createOrder, ERP_KEY, ORDERS, registration, SIGNING_SECRET, startOrderService, startSuite, Suite,
} from './order-service.fixture';

/** Everything published on the order topic of a bus, from its beginning. */
async function listen(bus: EventBus): Promise<{ messages: IncomingMessage[]; subscription: Subscription }> {
  const messages: IncomingMessage[] = [];
  const subscription = await bus.subscribe({
    groupId: `outbox-test-${randomUUID()}`,
    topics: [ORDER_EVENTS_TOPIC],
    handleBatch: async (batch) => void messages.push(...batch),
  });
  return { messages, subscription };
}

async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const eventsOf = (messages: IncomingMessage[], orderIds: string[]): OrderChangeEvent[] =>
  messages.filter((message) => orderIds.includes(message.key)).map((message) => parseOrderChangeEvent(message.value));

// The integration project's testTimeout does not reach the suites (Jest reads it only globally); the outage test waits on backoff.
jest.setTimeout(60_000);

describe('outbox relay (in-process bus)', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite({ OUTBOX_POLL_MS: '200' })));
  afterAll(() => suite.close());

  it('publishes every change once, keyed by order id, in order, with registrations sealed', async () => {
    const { messages, subscription } = await listen(suite.service.bus);
    try {
      const order = await createOrder(suite.http, { notifications: [registration()] });
      await request(suite.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' });
      const payment = (await request(suite.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: 'klarna', amount: 998, state: 'authorized' })).body;

      await eventually(() => expect(eventsOf(messages, [order.id])).toHaveLength(3));
      const orderMessages = messages.filter((message) => message.key === order.id);
      expect(orderMessages.map((message) => message.headers['event-type'])).toEqual(['order.created', 'order.state.changed', 'order.payment.changed']);
      const [created, stateChanged, paymentChanged] = eventsOf(messages, [order.id]);
      expect(created).toMatchObject({ type: 'order.created', orderId: order.id, merchant: 'alpha', channel: 'web', previous: null });
      // `previous` is the order before, without the registrations (matching never reads them there).
      const { notifications: _created, ...createdWithout } = created.order;
      const { notifications: _changed, ...stateChangedWithout } = stateChanged.order;
      expect(stateChanged.previous).toEqual(createdWithout);
      expect(stateChanged.order.state.currentStatus).toBe('processing');
      expect(paymentChanged.previous).toEqual(stateChangedWithout);
      const { notifications: registeredWithPayment, ...paymentFields } = payment;
      expect(registeredWithPayment).toEqual([]);
      expect(paymentChanged.order.payments).toEqual([paymentFields]);

      // Header values and secrets travel sealed; notification-service opens them with the shared key.
      const box = new SecretBox(TEST_ENCRYPTION_KEY);
      for (const event of [created, stateChanged, paymentChanged]) {
        const [sealed] = event.order.notifications;
        expect(box.decryptValues(sealed.headers, 'header-values')).toEqual({ 'X-API-Key': ERP_KEY, Accept: 'application/json' });
        expect(box.decrypt(sealed.secret!, 'signing-secrets')).toBe(SIGNING_SECRET);
      }
      const published = orderMessages.map((message) => message.value.toString()).join('\n');
      expect(published).not.toContain(ERP_KEY);
      expect(published).not.toContain(SIGNING_SECRET.slice('whsec_'.length));

      await eventually(async () => {
        const { rows } = await suite.sql.query('SELECT sent_at, attempts FROM orders.outbox WHERE order_id = $1', [order.id]);
        expect(rows.every((row) => row.sent_at !== null && row.attempts === 1)).toBe(true);
      });
    } finally {
      await subscription.stop();
    }
  });

  it('publishes a row written before event types were kept apart as it was stored, its type read from the event', async () => {
    const { messages, subscription } = await listen(suite.service.bus);
    try {
      const order = await createOrder(suite.http);
      const id = randomUUID();
      // As a row of the jsonb days prints: spaces after separators, keys in jsonb's order; no event_type.
      const stored = `{"id": "${id}", "type": "order.state.changed", "change": {"kind": "state"}, "orderId": "${order.id}"}`;
      await suite.sql.query(
        `INSERT INTO orders.outbox (id, order_id, topic, key, payload) VALUES ($1, $2::uuid, $3, $2::text, $4)`, [id, order.id, ORDER_EVENTS_TOPIC, stored],
      );
      await eventually(() => expect(messages.find((message) => message.value === stored)).toBeDefined());
      expect(messages.find((message) => message.value === stored)!.headers['event-type']).toBe('order.state.changed');
    } finally {
      await subscription.stop();
    }
  });

  it('publishes each event exactly once when two instances relay from one database', async () => {
    const second = await startOrderService(suite.db.url, { OUTBOX_POLL_MS: '50' });
    const { messages, subscription } = await listen(suite.service.bus);
    try {
      const orders = await Promise.all(Array.from({ length: 20 }, (_, i) => createOrder(i % 2 ? second.http : suite.http)));
      const ids = orders.map((order) => order.id);
      await Promise.all(orders.map(async (order, i) => {
        const http = i % 2 ? suite.http : second.http;
        for (const currentStatus of ['processing', 'checkout', 'processing', 'accepted', 'completed']) {
          expect((await request(http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus })).status).toBe(200);
        }
      }));

      await eventually(() => expect(eventsOf(messages, ids)).toHaveLength(20 * 6));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const events = eventsOf(messages, ids);
      expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
      for (const order of orders) {
        const statuses = events.filter((event) => event.orderId === order.id).map((event) => event.order.state.currentStatus);
        expect(statuses).toEqual(['checkout', 'processing', 'checkout', 'processing', 'accepted', 'completed']);
      }
    } finally {
      await subscription.stop();
      await second.app.close();
    }
  });

  it('serves Prometheus metrics with the outbox backlog', async () => {
    const metrics = await request(suite.http).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^ordercast_outbox_backlog \d+$/m);
    expect(metrics.text).toContain('http_requests_total');
  });

  it('serves health and the OpenAPI description', async () => {
    expect((await request(suite.http).get('/health')).body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, bus: { status: 'up' } } });
    const docs = await request(suite.http).get('/api/docs-json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining([
      '/api/v0/checkout/orders', '/api/v0/checkout/orders/{id}/state', '/api/v0/checkout/orders/{id}/payments/{paymentId}',
      '/api/v0/checkout/orders/{id}/notifications/{notificationId}', '/api/v0/checkout/channels/{channel}/notifications', '/health',
    ]));
    const page = await request(suite.http).get('/api/docs/?url=https://evil.example.com/spec.json');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self'.*connect-src 'self'/);
    expect((await request(suite.http).get('/api/docs/swagger-ui-init.js')).text).toContain('"queryConfigEnabled": false');
    expect(page.headers['x-powered-by']).toBeUndefined();
    expect((await request(suite.http).get('/api/v0/checkout/orders')).headers['x-powered-by']).toBeUndefined();
  });

  it('keeps accepting changes while the bus is down and publishes them from the outbox later', async () => {
    // A database of its own: the suite's service would otherwise hold the relay lock and publish these rows itself.
    const own = await createTestDatabase();
    const db = own.url;
    const sql = new Client({ connectionString: db });
    await sql.connect();
    const first = await startOrderService(db);
    const order = await createOrder(first.http);
    await first.bus.close();

    const health = await request(first.http).get('/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'error', info: { database: { status: 'up' } }, error: { bus: { status: 'down' } } });

    expect((await request(first.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' })).status).toBe(200);
    expect((await request(first.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'accepted' })).status).toBe(200);
    await eventually(async () => {
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM orders.outbox WHERE order_id = $1 AND sent_at IS NULL AND attempts > 0', [order.id]);
      expect(rows[0].n).toBeGreaterThan(0);
    });
    await first.app.close();

    // A new process gets a new in-process bus: everything it knows comes from the outbox.
    const restarted = await startOrderService(db);
    const { messages, subscription } = await listen(restarted.bus);
    try {
      await eventually(() => {
        const statuses = eventsOf(messages, [order.id]).map((event) => event.order.state.currentStatus);
        expect(statuses.slice(-2)).toEqual(['processing', 'accepted']);
      });
      const { rows } = await sql.query('SELECT count(*)::int AS n FROM orders.outbox WHERE sent_at IS NULL');
      expect(rows[0].n).toBe(0);
    } finally {
      await subscription.stop();
      await restarted.app.close();
      await sql.end();
      await own.drop();
    }
  });
});
