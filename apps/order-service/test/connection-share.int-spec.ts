import request from 'supertest';
import { ALPHA, BETA, createOrder, ORDERS, startSuite, Suite } from './order-service.fixture';

const POOL = 2;
const ALPHA_REQUESTS = 16;

/**
 * One merchant's burst must not queue every other merchant behind it for the database's
 * connections (the black-box attack of the ninth round: 1,100 changes of one merchant timed another
 * merchant's requests out into 503s). With a pool of two, alpha's keyed changes (each a transaction
 * of its own) are held on row locks the test takes, so both connections are alpha's and the rest
 * of its requests wait; once the locks go, the next connection freed goes to beta's read, not to
 * alpha's earlier waiters.
 */
describe('database connections are shared fairly between merchants (real PostgreSQL)', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await startSuite({ DATABASE_POOL_SIZE: String(POOL) });
  });
  afterAll(async () => {
    await suite?.close();
  });

  it("gives beta the next free connection while alpha's burst waits behind its own requests", async () => {
    const alphas = [];
    for (let index = 0; index < ALPHA_REQUESTS; index += 1) alphas.push(await createOrder(suite.http));
    const betaOrder = await createOrder(suite.http, {}, { ...BETA, 'x-channel': 'web' });

    const locker = suite.sql;
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM orders.orders WHERE id = ANY($1::uuid[]) FOR UPDATE', [alphas.map((order) => order.id)]);
    const finished: string[] = [];
    const alphaDone = alphas.map((order, index) =>
      request(suite.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).set('Idempotency-Key', `share-${order.id}`).send({ currentStatus: 'processing' })
        .then((response) => {
          finished.push(`alpha${index}`);
          return response.status;
        }),
    );
    // Every alpha request has reached the database: two hold the connections (blocked on the locks), the rest wait for one.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const betaDone = request(suite.http).get(`${ORDERS}/${betaOrder.id}`).set(BETA).then((response) => {
      finished.push('beta');
      return response.status;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await locker.query('COMMIT');

    expect(await betaDone).toBe(200);
    expect(await Promise.all(alphaDone)).toEqual(alphas.map(() => 200));
    // At most the two alpha requests that held the connections (and one that took a connection as
    // they freed together) finish before beta; first come, first served, all sixteen did.
    expect(finished.indexOf('beta')).toBeLessThanOrEqual(POOL + 1);
  });

  // Keyed changes hold their connection from the key's claim; waiting in the order's line behind
  // unkeyed changes that needed a connection, they held the whole pool for good (attack, 2026-12-02).
  it('answers keyed and unkeyed changes of one order sent at once, and serves another merchant right after', async () => {
    const order = await createOrder(suite.http);
    const keyed = Array.from({ length: 6 }, (_, index) =>
      request(suite.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).set('Idempotency-Key', `mix-${order.id}-${index}`).send({ adapterId: `k${index}`, amount: 1, state: 'intent' }));
    const unkeyed = Array.from({ length: 20 }, (_, index) =>
      request(suite.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: `u${index}`, amount: 1, state: 'intent' }));
    const statuses = (await Promise.all([...keyed, ...unkeyed])).map((response) => response.status);
    // Each is stored or refused as a conflict to retry; none waits for a connection it can never get.
    expect(statuses.filter((status) => status !== 201 && status !== 409)).toEqual([]);
    const betaOrder = await createOrder(suite.http, {}, { ...BETA, 'x-channel': 'web' });
    expect((await request(suite.http).get(`${ORDERS}/${betaOrder.id}`).set(BETA)).status).toBe(200);
  });
});
