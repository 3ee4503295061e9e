import type { OrderChangeEvent } from '@ordercast/contracts';
import request from 'supertest';
import { createTestDatabase, TestDatabase, withClient } from '../../../test/support/database';
import { ALPHA, createOrder, ORDERS, OrderService, startOrderService } from './order-service.fixture';

/**
 * Each instance changes the orders it wrote last without reading them first (OrderCache). These
 * two instances share one database and take turns on the same orders, so every change one of
 * them makes finds the other's cache out of date: what it answers and publishes must still be
 * computed from the order as it is.
 */
describe('changes computed from the orders an instance wrote last', () => {
  let db: TestDatabase;
  let first: OrderService;
  let second: OrderService;

  beforeAll(async () => {
    db = await createTestDatabase();
    first = await startOrderService(db.url);
    second = await startOrderService(db.url);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await db?.drop();
  });

  const changeState = (service: OrderService, orderId: string, currentStatus: string) =>
    request(service.http).put(`${ORDERS}/${orderId}/state`).set(ALPHA).send({ currentStatus });

  const events = async (orderId: string): Promise<OrderChangeEvent[]> =>
    (await withClient(db.url, (sql) => sql.query<{ payload: OrderChangeEvent }>('SELECT payload FROM orders.outbox WHERE order_id = $1 ORDER BY seq', [orderId])))
      .rows.map((row) => row.payload);

  it('accepts a change the other instance made legal, which the stale order would refuse', async () => {
    const order = await createOrder(first.http);
    await changeState(second, order.id, 'processing').expect(200);
    // The first instance last wrote the order in checkout, from which accepted is illegal.
    const accepted = await changeState(first, order.id, 'accepted').expect(200);
    expect(accepted.body.state.currentStatus).toBe('accepted');
    const published = await events(order.id);
    expect(published.map((event) => [event.sequence, event.previous?.state.currentStatus ?? null, event.order.state.currentStatus])).toEqual([
      [1, null, 'checkout'], [2, 'checkout', 'processing'], [3, 'processing', 'accepted'],
    ]);
  });

  it('builds on the other instance’s change, never over it', async () => {
    const order = await createOrder(first.http);
    await changeState(first, order.id, 'processing').expect(200);
    const payment = { adapterId: 'klarna-checkout', name: 'Klarna', amount: 998, state: 'intent' };
    const added = await request(second.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send(payment).expect(201);
    // The first instance's cached order has no payment; its next change must keep the second's.
    await changeState(first, order.id, 'checkout').expect(200);
    const stored = await request(second.http).get(`${ORDERS}/${order.id}`).set(ALPHA).expect(200);
    expect(stored.body.state.currentStatus).toBe('checkout');
    expect(stored.body.payments.map((p: { id: string }) => p.id)).toEqual([added.body.id]);
    const last = (await events(order.id)).at(-1)!;
    expect(last.sequence).toBe(4);
    expect(last.previous?.payments?.map((p) => p.id)).toEqual([added.body.id]);
    expect(last.order.payments?.map((p) => p.id)).toEqual([added.body.id]);
  });

  it('answers a request that changes nothing from the order as it is', async () => {
    const order = await createOrder(first.http);
    await changeState(second, order.id, 'processing').expect(200);
    // Unchanged against the first instance's cached order (checkout), a change against the real one.
    const response = await changeState(first, order.id, 'checkout').expect(200);
    expect(response.body.state.currentStatus).toBe('checkout');
    expect((await events(order.id)).map((event) => event.order.state.currentStatus)).toEqual(['checkout', 'processing', 'checkout']);
  });

  it('keeps an update of the row made outside the service (a data fix in SQL), which bumps no version', async () => {
    const order = await createOrder(first.http);
    await withClient(db.url, (sql) => sql.query(`UPDATE orders.orders SET document = jsonb_set(document, '{reference}', '"fixed-by-sql"') WHERE id = $1`, [order.id]));
    const changed = await changeState(first, order.id, 'processing').expect(200);
    expect(changed.body.reference).toBe('fixed-by-sql');
    const last = (await events(order.id)).at(-1)!;
    expect(last.previous?.reference).toBe('fixed-by-sql');
  });

  it('keeps one order’s changes in sequence while both instances change it at once', async () => {
    const order = await createOrder(first.http);
    const moves = Array.from({ length: 10 }, (_, index) => [index % 2 === 0 ? first : second, index % 2 === 0 ? 'processing' : 'checkout'] as const);
    for (const [service, status] of moves) await changeState(service, order.id, status).expect(200);
    const published = await events(order.id);
    expect(published.map((event) => event.sequence)).toEqual(Array.from({ length: 11 }, (_, index) => index + 1));
    for (let index = 1; index < published.length; index += 1) {
      expect(published[index].previous?.state.currentStatus).toBe(published[index - 1].order.state.currentStatus);
    }
  });
});
