import { Client } from 'pg';
import request from 'supertest';
import { ALPHA, EVENTS, NOTIFICATIONS, ORDERS, startSystem, System } from '../support/system';

jest.setTimeout(120_000);

const WATCH = '/watch';
const FLAKY = '/flaky';

/**
 * `sequence` in every delivery body: the order's version after the change, strictly increasing per
 * order across state, payment, shipping and notification changes, the same on every attempt of one
 * delivery, and the latest snapshot's on a manual send. Through both services and the real Kafka broker.
 */
describe('delivery sequence numbers through the kafka bus', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem('kafka');
  });

  afterAll(async () => {
    await system?.close();
  });

  const http = () => request(system.ordersHttp);
  const bodiesAt = (path: string) => system.sink.received(path).map((r) => ({ ...JSON.parse(r.body), webhookId: r.headers['webhook-id'], timestamp: r.headers['webhook-timestamp'] }));

  it('numbers every change of an order in change order, whatever its kind', async () => {
    const order = await system.createOrder({ notifications: [{ url: system.sink.url(WATCH), scope: { state: ['processing', 'accepted'], payment: true, shipping: true } }] });
    const orderUrl = `${ORDERS}/${order.id}`;
    // Version 2: a registration, a change no watch of the sink's registration fires on.
    await http().post(`${orderUrl}/notifications`).set(ALPHA).send({ url: 'https://erp.example.com/hook', scope: { state: ['completed'] } }).expect(201);
    await http().put(`${orderUrl}/state`).set(ALPHA).send({ currentStatus: 'processing' }).expect(200);
    const paymentId = (await http().post(`${orderUrl}/payments`).set(ALPHA).send({ adapterId: 'card', amount: 100, state: 'authorized' }).expect(201)).body.id;
    const shippingId = (await http().post(`${orderUrl}/shippings`).set(ALPHA).send({ adapterId: 'postnord', state: 'processing' }).expect(201)).body.id;
    await http().patch(`${orderUrl}/payments/${paymentId}`).set(ALPHA).send({ state: 'captured' }).expect(200);
    await http().patch(`${orderUrl}/shippings/${shippingId}`).set(ALPHA).send({ state: 'confirmed' }).expect(200);
    await http().put(`${orderUrl}/state`).set(ALPHA).send({ currentStatus: 'accepted' }).expect(200);

    await system.sink.waitFor(6, 60_000, WATCH);
    const bySequence = bodiesAt(WATCH).sort((a, b) => a.sequence - b.sequence);
    expect(bySequence.map((body) => [body.sequence, body.scope])).toEqual([
      [3, 'state.processing'], [4, 'payment.authorized'], [5, 'shipping.processing'], [6, 'payment.captured'], [7, 'shipping.confirmed'], [8, 'state.accepted'],
    ]);
    const occurred = bySequence.map((body) => Date.parse(body.occurredAt));
    expect(occurred).toEqual([...occurred].sort((a, b) => a - b));
    for (const body of bySequence) expect(body.timestamp).toMatch(/^\d+$/);
  });

  it('carries the same sequence on every attempt of one delivery, automatic or by an operator, and the latest snapshot’s on a manual send', async () => {
    system.sink.respond(FLAKY, 500, 500, 200);
    const order = await system.createOrder({ notifications: [{ url: system.sink.url(FLAKY), reference: 'flaky', scope: { state: ['processing'] } }] });
    await http().put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }).expect(200);
    const events = await system.eventsOf(order.id, { count: 1, until: (e) => e.status === 'succeeded' });
    await request(system.notificationsHttp).post(`${EVENTS}/${events[0].id}/retry`).set(ALPHA).expect(202);
    await system.sink.waitFor(4, 30_000, FLAKY);

    const attempts = bodiesAt(FLAKY);
    expect(new Set(attempts.map((body) => body.webhookId)).size).toBe(1);
    expect(attempts.map((body) => body.sequence)).toEqual([2, 2, 2, 2]);

    await http().put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'checkout' }).expect(200);
    await waitForSnapshotOf(order.id, 3);
    await request(system.notificationsHttp).post(`${NOTIFICATIONS}/orders/${order.id}/trigger`).set(ALPHA).send({}).expect(202);
    await system.sink.waitFor(5, 30_000, FLAKY);
    const manual = bodiesAt(FLAKY).find((body) => body.scope === 'manual');
    expect(manual?.sequence).toBe(3);
  });

  /** Waits until notification-service has ingested the order's change with this sequence: a change no registration matches leaves only its snapshot. */
  async function waitForSnapshotOf(orderId: string, sequence: number): Promise<void> {
    const sql = new Client({ connectionString: system.db.url });
    await sql.connect();
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const { rows } = await sql.query<{ sequence: number }>('SELECT sequence FROM notifications.order_snapshots WHERE order_id = $1', [orderId]);
        if (rows[0]?.sequence === sequence) return;
        if (Date.now() > deadline) throw new Error(`snapshot of ${orderId} never reached sequence ${sequence}: ${JSON.stringify(rows)}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      await sql.end();
    }
  }
});
