import request from 'supertest';
import { ALPHA, BETA, createOrder, ORDERS, outboxCount, registration, startSuite, Suite } from './order-service.fixture';

jest.setTimeout(60_000);

/** A registration with 16 KiB of headers: sealed, it takes about 22 KB of its order, and each change event carries the order twice. */
const heavy = () => registration({ headers: Object.fromEntries(['X-A', 'X-B', 'X-C', 'X-D'].map((name) => [name, 'k'.repeat(4093)])) });
const payment = { adapterId: 'klarna', amount: 10, state: 'intent' };

/**
 * One merchant rewriting large orders in a loop is held to MERCHANT_PUBLISH_BYTES_PER_SECOND of
 * change events (here 64 KiB/s, 128 KiB at once): past it a write is a 429 with Retry-After that
 * changes nothing, while another merchant's writes go on; after the wait the same request goes through.
 */
describe('per-merchant publish rate (MERCHANT_PUBLISH_BYTES_PER_SECOND=65536, burst 131072)', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite({ MERCHANT_PUBLISH_BYTES_PER_SECOND: '65536', MERCHANT_PUBLISH_BURST_BYTES: '131072' })));
  afterAll(() => suite.close());

  it('refuses a merchant past its rate with 429 and Retry-After, changing nothing, and lets it go on after the wait', async () => {
    const order = await createOrder(suite.http, { notifications: [heavy()] });
    const events = await outboxCount(suite.sql);
    // Eight changes at once, each event about 44 KB: 350 KB against a 128 KiB burst and 64 KiB/s. Sent one by
    // one, a slow machine refilled the allowance between them and none was refused.
    const keys = [...Array(8).keys()].map((i) => `pay-${Date.now()}-${i}`);
    const responses = await Promise.all(keys.map((key) => request(suite.http).post(`${ORDERS}/${order.id}/payments`).set({ ...ALPHA, 'idempotency-key': key }).send(payment)));
    const accepted = responses.filter((response) => response.status === 201).length;
    const refusedAt = responses.findIndex((response) => response.status === 429);
    expect(responses.every((response) => response.status === 201 || response.status === 429)).toBe(true);
    expect(refusedAt).toBeGreaterThanOrEqual(0);
    const refused = responses[refusedAt];
    const retryAfter = Number(refused.headers['retry-after']);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 2).toBe(true);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', retryAfterSeconds: retryAfter });
    expect(refused.body.message).toMatch(/^merchant alpha publishes change events faster than 65536 bytes per second \(MERCHANT_PUBLISH_BYTES_PER_SECOND\); this change's event takes (at least )?\d+ bytes, retry in \d s$/);

    // The refused ones wrote nothing: the order has a payment, and the outbox an event, per accepted change only.
    const stored = await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA).expect(200);
    expect(stored.body.payments).toHaveLength(accepted);
    expect(await outboxCount(suite.sql)).toBe(events + accepted);

    // Another merchant's allowance is its own.
    const other = await createOrder(suite.http, { notifications: [heavy()] }, { ...BETA, 'x-channel': 'web' });
    await request(suite.http).post(`${ORDERS}/${other.id}/payments`).set(BETA).send(payment).expect(201);

    // The key of a refused request is not kept: after the wait, the same request goes through.
    await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000 + 100));
    await request(suite.http).post(`${ORDERS}/${order.id}/payments`).set({ ...ALPHA, 'idempotency-key': keys[refusedAt] }).send(payment).expect(201);
  });

  it("counts the channel's notifications copied into a new order, which the request body does not show", async () => {
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const channel = `${ORDERS.replace('orders', 'channels')}/heavy/notifications`;
    await request(suite.http).put(channel).set(ALPHA).send([heavy(), heavy(), heavy()]).expect(200);
    const inChannel = { ...ALPHA, 'x-channel': 'heavy' };
    // Each small request publishes an event with about 66 KB of copies: the 128 KiB burst takes one
    // with its copies charged up front, and not even in parallel more.
    const statuses = await Promise.all([...Array(8).keys()].map(async () => (await request(suite.http).post(ORDERS).set(inChannel).send({ currency: 'SEK', cart: { items: [] } })).status));
    expect(statuses.filter((status) => status === 201).length).toBeLessThanOrEqual(2);
    expect(statuses.filter((status) => status !== 201).every((status) => status === 429)).toBe(true);
  });

  it('counts a read or a refused write nothing', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const order = await createOrder(suite.http, { notifications: [heavy()] });
    for (let read = 0; read < 20; read += 1) await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA).expect(200);
    // An illegal transition is refused before anything is published: it leaves the allowance alone.
    for (let refused = 0; refused < 10; refused += 1) {
      const response = await request(suite.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ state: 'completed' });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).not.toBe(429);
    }
    await request(suite.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send(payment).expect(201);
  });
});
