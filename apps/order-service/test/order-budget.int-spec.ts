import type { OrderChangeEvent } from '@ordercast/contracts';
import request from 'supertest';
import {
  ALPHA, createOrder, expectNothingChanged, ORDERS, OrderService, outboxCount, registration, startOrderService, startSuite, Suite, WEB,
} from './order-service.fixture';

/** A registration with 16 KiB of headers, the most one may carry: sealed, it takes about 22 KB of its order. */
const heavy = () => registration({ headers: Object.fromEntries(['X-A', 'X-B', 'X-C', 'X-D'].map((name) => [name, 'k'.repeat(4093)])) });

async function orderCount(suite: Suite): Promise<number> {
  const { rows } = await suite.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM orders.orders');
  return rows[0].n;
}

/** Runs a request that must be refused without storing an order or a change event. */
async function expectNoNewOrder(suite: Suite, refused: () => Promise<unknown>): Promise<void> {
  const [orders, events] = [await orderCount(suite), await outboxCount(suite.sql)];
  await refused();
  expect(await orderCount(suite)).toBe(orders);
  expect(await outboxCount(suite.sql)).toBe(events);
}

// The integration project's testTimeout does not reach the suites (Jest reads it only globally).
jest.setTimeout(60_000);

/**
 * Issue 12: an order has a byte budget so that every change event fits the bus's maximum message.
 * With KAFKA_MAX_MESSAGE_BYTES=65536 an order may take (65536 - 16384) / 2 = 24,576 bytes: one
 * registration with full headers fits, two do not.
 */
describe('order byte budget (KAFKA_MAX_MESSAGE_BYTES=65536)', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite({ KAFKA_MAX_MESSAGE_BYTES: '65536' })));
  afterAll(() => suite.close());

  const tooLarge = (response: request.Response) => {
    expect(response.status).toBe(413);
    expect(response.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large', limitBytes: 24_576 });
    expect(response.body.message).toMatch(/^the order would take \d+ bytes; an order may take at most 24576 bytes \(its change events carry it twice and must fit KAFKA_MAX_MESSAGE_BYTES=65536\)$/);
  };

  it('refuses a new order whose notifications take it past its budget, storing nothing', async () => {
    await expectNoNewOrder(suite, async () => {
      tooLarge(await request(suite.http).post(ORDERS).set(WEB).send({ currency: 'SEK', cart: { items: [] }, notifications: [heavy(), heavy()] }));
    });
    await createOrder(suite.http, { notifications: [heavy()] });
  });

  it('refuses a registration that would take an order past its budget, changing nothing', async () => {
    const order = await createOrder(suite.http, { notifications: [heavy()] });
    await expectNothingChanged(suite, order.id, async () => {
      tooLarge(await request(suite.http).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send(heavy()));
    });
    await request(suite.http).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send(registration()).expect(201);
  });

  it('refuses a payment or a shipping whose notifications take the order past its budget, changing nothing', async () => {
    const order = await createOrder(suite.http, { notifications: [heavy()] });
    await expectNothingChanged(suite, order.id, async () => {
      tooLarge(await request(suite.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: 'klarna', amount: 10, state: 'intent', notifications: [heavy()] }));
      tooLarge(await request(suite.http).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA).send({ adapterId: 'ingrid', state: 'intent', notifications: [heavy()] }));
    });
    await request(suite.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: 'klarna', amount: 10, state: 'intent' }).expect(201);
    await request(suite.http).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA).send({ adapterId: 'ingrid', state: 'intent' }).expect(201);
  });

  it('refuses an order past its budget with the channel\'s notifications, and channel notifications no order could carry', async () => {
    const channel = `${ORDERS.replace('orders', 'channels')}/budget/notifications`;
    const refused = await request(suite.http).put(channel).set(ALPHA).send([heavy(), heavy()]);
    expect(refused.status).toBe(413);
    expect(refused.body.message).toMatch(/^the channel's notifications would take \d+ bytes of every order; an order may take at most 24576 bytes/);
    expect((await request(suite.http).get(channel).set(ALPHA)).body).toEqual([]);

    await request(suite.http).put(channel).set(ALPHA).send([heavy()]).expect(200);
    const inChannel = { ...ALPHA, 'x-channel': 'budget' };
    await expectNoNewOrder(suite, async () => {
      tooLarge(await request(suite.http).post(ORDERS).set(inChannel).send({ currency: 'SEK', cart: { items: [] }, notifications: [heavy()] }));
    });
    const order = await createOrder(suite.http, {}, inChannel);
    expect(order.notifications).toHaveLength(1);
  });
});

describe('order byte budget (default KAFKA_MAX_MESSAGE_BYTES)', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite()));
  afterAll(() => suite.close());

  it('stops registrations at the budget, so the next change event still fits the bus (the report of issue 12)', async () => {
    const order = await createOrder(suite.http);
    let accepted = 0;
    for (;;) {
      const response = await request(suite.http).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send(heavy());
      if (response.status === 413) {
        expect(response.body.message).toMatch(/an order may take at most 491808 bytes .*KAFKA_MAX_MESSAGE_BYTES=1000000/);
        break;
      }
      expect(response.status).toBe(201);
      accepted += 1;
    }
    expect(accepted).toBeGreaterThan(10);
    expect(accepted).toBeLessThan(50);

    await request(suite.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }).expect(200);
    const { rows } = await suite.sql.query<{ payload: OrderChangeEvent }>(
      "SELECT payload FROM orders.outbox WHERE order_id = $1 AND payload->>'type' = 'order.state.changed'", [order.id]);
    expect(rows).toHaveLength(1);
    const eventBytes = Buffer.byteLength(JSON.stringify(rows[0].payload));
    // The budget reserves room for the order twice (before and after); `previous` carries no
    // registrations, so an order made large by them fills a little over half the message.
    expect(eventBytes).toBeGreaterThan(450_000);
    expect(eventBytes).toBeLessThanOrEqual(1_000_000);
  });

  describe('an order stored over a budget that was lowered since', () => {
    let lowered: OrderService;
    beforeAll(async () => (lowered = await startOrderService(suite.db.url, { KAFKA_MAX_MESSAGE_BYTES: '65536' })));
    afterAll(() => lowered.close());

    it('refuses changes that grow it and accepts the removals that bring it back under', async () => {
      const order = await createOrder(suite.http, { notifications: [heavy(), heavy()] });
      const state = () => request(lowered.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' });
      expect((await state()).status).toBe(413);
      await request(lowered.http).delete(`${ORDERS}/${order.id}/notifications/${order.notifications[0].id}`).set(ALPHA).expect(204);
      await state().expect(200);
    });
  });
});
