import { createServer } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { untilQuiet } from '../support/quiet';
import { ALPHA, BusKind, CHANNELS, EVENTS, ORDERS, startSystem, System } from '../support/system';
import type { ReceivedRequest } from '../support/webhook-sink';

/**
 * The whole pipeline as a merchant sees it: orders changed through order-service, notifications
 * received by a real HTTP sink, Events read back from notification-service. Run once through the
 * real Kafka broker and once through the in-process bus of the embedded default.
 */
describe.each<BusKind>(['kafka', 'in-process'])('notification flow through the %s bus', (bus) => {
  let system: System;
  let sql: Client;

  beforeAll(async () => {
    system = await startSystem(bus);
    sql = new Client({ connectionString: system.db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await system?.close();
  });

  const hook = (path: string, scope: unknown, extra: Record<string, unknown> = {}) => ({ url: system.sink.url(path), scope, ...extra });

  async function walkTo(orderId: string, ...states: string[]): Promise<void> {
    for (const state of states) await system.setState(orderId, state);
  }

  /** The requests to `path` once the expected ones arrived and the pipeline is quiet: anything sent wrongly is among them. */
  async function settled(path: string, expected: number): Promise<ReceivedRequest[]> {
    await system.sink.waitFor(expected, 30_000, path);
    await untilQuiet(sql);
    return system.sink.received(path);
  }

  it('sends the ERP export once when the order completes, with headers, body and a recorded Event', async () => {
    const order = await system.createOrder({
      notifications: [hook('/erp/{order.id}/import', { state: ['completed'] }, { method: 'POST', headers: { 'X-API-Key': 'erp-key-123' }, reference: 'erp-export' })],
    });
    await walkTo(order.id, 'processing', 'accepted', 'completed');

    const [received, ...more] = await settled(`/erp/${order.id}/import`, 1);
    expect(more).toHaveLength(0);
    expect(received.method).toBe('POST');
    expect(received.headers['x-api-key']).toBe('erp-key-123');
    expect(received.headers['content-type']).toMatch(/^application\/json/);
    expect(received.headers['user-agent']).toMatch(/^Ordercast\//);
    expect(received.headers['webhook-id']).toEqual(expect.any(String));
    expect(received.headers['webhook-timestamp']).toMatch(/^\d+$/);
    const body = JSON.parse(received.body);
    expect(body).toMatchObject({
      id: received.headers['webhook-id'],
      type: 'order.state.changed',
      scope: 'state.completed',
      merchant: 'alpha',
      channel: 'web',
      orderId: order.id,
      notification: { reference: 'erp-export' },
      order: { id: order.id, state: { currentStatus: 'completed' } },
    });
    expect(JSON.stringify(body.order)).not.toContain('erp-key-123');

    const [event] = await system.eventsOf(order.id, { count: 1, until: (e) => e.status === 'succeeded' });
    expect(event).toMatchObject({ orderId: order.id, scope: 'state.completed', status: 'succeeded', statusCode: 200, attempt: 1, trigger: 'automatic', messageId: body.id });
    expect(event.responseBody).toEqual(expect.any(String));
    expect(event.request.url).toBe(system.sink.url(`/erp/${order.id}/import`));
    expect(event.request.headers['X-API-Key'] ?? event.request.headers['x-api-key']).toBe('********');

    const byScope = await request(system.notificationsHttp).get(EVENTS).query({ scope: 'state.completed', orderId: order.id }).set(ALPHA).expect(200);
    expect(byScope.body.data.map((e: { id: string }) => e.id)).toEqual([event.id]);
    const byPrefix = await request(system.notificationsHttp).get(EVENTS).query({ scope: 'state', order_id: order.id }).set(ALPHA).expect(200);
    expect(byPrefix.body.pagination.totalSize).toBe(1);
  });

  it('triggers the email service when the order is accepted, and only then', async () => {
    const order = await system.createOrder({ notifications: [hook('/email/order-accepted', { state: ['accepted'] })] });
    await walkTo(order.id, 'processing', 'accepted', 'completed');
    const received = await settled('/email/order-accepted', 1);
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0].body)).toMatchObject({ scope: 'state.accepted', orderId: order.id, order: { state: { currentStatus: 'accepted' } } });
    const events = await system.eventsOf(order.id, { query: { scope: 'state.accepted' } });
    expect(events).toHaveLength(1);
    expect(events[0].statusCode).toBe(200);
  });

  it('notifies every payment change for payment: true', async () => {
    const path = '/payments-watch';
    const order = await system.createOrder({ notifications: [hook(path, { payment: true })] });
    const created = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: 'card', amount: 100, state: 'authorized' }).expect(201);
    await request(system.ordersHttp).patch(`${ORDERS}/${order.id}/payments/${created.body.id}`).set(ALPHA).send({ state: 'captured' }).expect(200);
    const received = await settled(path, 2);
    // Deliveries of separate changes are not ordered (like Stripe's); receivers order by occurredAt.
    const bodies = received.map((r) => JSON.parse(r.body)).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
    expect(bodies.map((body) => body.scope)).toEqual(['payment.authorized', 'payment.captured']);
    expect(bodies.map((body) => body.type)).toEqual(['order.payment.changed', 'order.payment.changed']);
    const events = await system.eventsOf(order.id, { count: 2, query: { scope: 'payment' } });
    expect(events.map((e) => e.scope).sort()).toEqual(['payment.authorized', 'payment.captured']);
  });

  it('notifies every shipping change for shipping: true', async () => {
    const path = '/shippings-watch';
    const order = await system.createOrder({ notifications: [hook(path, { shipping: true })] });
    const created = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA).send({ adapterId: 'postnord', price: 49, state: 'processing' }).expect(201);
    await request(system.ordersHttp).patch(`${ORDERS}/${order.id}/shippings/${created.body.id}`).set(ALPHA).send({ state: 'confirmed' }).expect(200);
    const received = await settled(path, 2);
    const bodies = received.map((r) => JSON.parse(r.body)).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
    expect(bodies.map((body) => body.scope)).toEqual(['shipping.processing', 'shipping.confirmed']);
    const events = await system.eventsOf(order.id, { count: 2, query: { scope: 'shipping' } });
    expect(events.every((e) => e.statusCode === 200)).toBe(true);
  });

  it('delivers a channel-configured notification for orders created in that channel afterwards', async () => {
    const channel = `store-${bus}`;
    await request(system.ordersHttp).put(`${CHANNELS}/${channel}/notifications`).set(ALPHA).send([hook('/channel/{channel}/{order_id}', { state: ['processing'] })]).expect(200);
    const inChannel = await system.createOrder({}, channel);
    const elsewhere = await system.createOrder({}, 'web');
    await walkTo(inChannel.id, 'processing');
    await walkTo(elsewhere.id, 'processing');
    const received = await settled(`/channel/${channel}/${inChannel.id}`, 1);
    expect(received).toHaveLength(1);
    expect(system.sink.received().filter((r) => r.path.includes(elsewhere.id))).toHaveLength(0);
    const [event] = await system.eventsOf(inChannel.id, { query: { channel } });
    expect(event).toMatchObject({ channel, scope: 'state.processing', status: 'succeeded' });
  });

  it('delivers a notification a payment adapter registered together with its payment', async () => {
    const order = await system.createOrder();
    const payment = await request(system.ordersHttp)
      .post(`${ORDERS}/${order.id}/payments`)
      .set(ALPHA)
      .send({ adapterId: 'klarna', amount: 100, state: 'intent', notifications: [hook('/adapter/klarna/{order.id}', { state: ['completed'] }, { reference: 'klarna-capture' })] })
      .expect(201);
    expect(payment.body.notifications).toHaveLength(1);
    await walkTo(order.id, 'processing', 'accepted', 'completed');
    const [received] = await settled(`/adapter/klarna/${order.id}`, 1);
    expect(JSON.parse(received.body)).toMatchObject({ scope: 'state.completed', notification: { reference: 'klarna-capture' } });
  });

  it('retries a failing target as new Events until it succeeds', async () => {
    const path = `/flaky-${bus}`;
    system.sink.respond(path, 500, 500, 200);
    const order = await system.createOrder({ notifications: [hook(path, { state: ['processing'] })] });
    await walkTo(order.id, 'processing');
    const events = await system.eventsOf(order.id, { count: 1, until: (e) => e.status === 'succeeded' });
    const chain = [...events].sort((a, b) => a.attempt - b.attempt);
    expect(chain.map((e) => [e.attempt, e.status, e.statusCode])).toEqual([[1, 'failed', 500], [2, 'failed', 500], [3, 'succeeded', 200]]);
    expect(new Set(chain.map((e) => e.messageId)).size).toBe(1);
    expect(chain[1].retryOf).toBe(chain[0].id);
    const received = system.sink.received(path);
    expect(new Set(received.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('ends a dead target dead after the configured attempts, and bulk retry sends it again', async () => {
    const closedPort = await unusedPort();
    const order = await system.createOrder({ notifications: [{ url: `http://127.0.0.1:${closedPort}/gone`, scope: { state: ['processing'] } }] });
    await walkTo(order.id, 'processing');
    const events = await system.eventsOf(order.id, { count: 1, until: (e) => e.status === 'dead' });
    expect(events).toHaveLength(4);
    expect(events.map((e) => e.attempt).sort()).toEqual([1, 2, 3, 4]);
    expect(events.find((e) => e.status === 'dead')?.attempt).toBe(4);
    expect(events.every((e) => e.statusCode === null && /refused|ECONNREFUSED/i.test(e.error ?? ''))).toBe(true);

    const bulk = await request(system.notificationsHttp).post(`${EVENTS}/retry`).set(ALPHA).send({ status: 'dead', orderId: order.id }).expect(202);
    expect(bulk.body.count).toBe(1);
    const after = await system.eventsOf(order.id, { count: 1, until: (e) => e.trigger === 'retry' && e.status !== 'pending' });
    expect(after).toHaveLength(5);
  });

  it('sends a succeeded notification again on manual retry, with the same webhook-id', async () => {
    const path = `/manual-${bus}`;
    const order = await system.createOrder({ notifications: [hook(path, { state: ['processing'] })] });
    await walkTo(order.id, 'processing');
    const [first] = await system.eventsOf(order.id, { until: (e) => e.status === 'succeeded' });
    const retried = await request(system.notificationsHttp).post(`${EVENTS}/${first.id}/retry`).set(ALPHA).expect(202);
    expect(retried.body).toMatchObject({ trigger: 'retry', retryOf: first.id, messageId: first.messageId });
    const received = await settled(path, 2);
    expect(received.map((r) => r.headers['webhook-id'])).toEqual([first.messageId, first.messageId]);
  });

  it('reports the consumer lag per partition, and the outbox backlog, once everything is through', async () => {
    const order = await system.createOrder({ notifications: [hook(`/lag-${bus}`, { state: ['processing'] })] });
    await walkTo(order.id, 'processing');
    await system.eventsOf(order.id);
    const notifications = (await request(system.notificationsHttp).get('/metrics').expect(200)).text;
    const lags = [...notifications.matchAll(/^ordercast_consumer_lag_messages\{partition="(\d+)"\} (\d+)$/gm)];
    expect(lags.length).toBeGreaterThan(0);
    expect(lags.map(([, , lag]) => Number(lag))).toEqual(lags.map(() => 0));
    const orders = (await request(system.ordersHttp).get('/metrics').expect(200)).text;
    expect(orders).toMatch(/^ordercast_outbox_backlog 0$/m);
  });
});

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
