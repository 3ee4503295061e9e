import type { Order } from '@ordercast/contracts';
import { purgeExpiredIdempotencyKeys, runInTenantScope } from '@ordercast/platform';
import { Client } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ALPHA, BETA, createOrder, ORDERS, orderRequest, startSuite, Suite, WEB } from './order-service.fixture';

const KEY = 'Idempotency-Key';
const payment = { adapterId: 'klarna-checkout', name: 'Klarna', amount: 998, state: 'authorized' };
const payments = (orderId: string) => `${ORDERS}/${orderId}/payments`;

/**
 * Idempotency-Key on order-service's writes (IETF draft), against real PostgreSQL: a retried write
 * with the same key replays the first response and changes nothing; a different request is 422;
 * a request while the first is still running is 409; keys are per merchant and expire after 24 h.
 */
describe('Idempotency-Key on order-service (real PostgreSQL)', () => {
  let suite: Suite;
  let key = 0;
  const newKey = () => `key-${Date.now()}-${(key += 1)}`;

  beforeAll(async () => (suite = await startSuite()));
  afterAll(() => suite.close());

  const orderCount = async (reference: string, merchant = 'alpha') =>
    Number((await suite.sql.query('SELECT count(*) FROM orders.orders WHERE reference = $1 AND merchant = $2', [reference, merchant])).rows[0].count);
  const outboxOf = async (orderId: string) =>
    (await suite.sql.query<{ type: string }>("SELECT payload->>'type' AS type FROM orders.outbox WHERE order_id = $1 ORDER BY seq", [orderId])).rows.map((row) => row.type);
  const storedKeys = async (merchant: string, idempotencyKey: string) =>
    Number((await suite.sql.query('SELECT count(*) FROM orders.idempotency_keys WHERE merchant = $1 AND key = $2', [merchant, idempotencyKey])).rows[0].count);

  describe('replay', () => {
    it('answers a repeated order create with the first response, creates one order and publishes one change', async () => {
      const k = newKey();
      const body = orderRequest({ reference: `replay-${k}` });
      const first = await request(suite.http).post(ORDERS).set(WEB).set(KEY, k).send(body);
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      const again = await request(suite.http).post(ORDERS).set(WEB).set(KEY, k).send(body);
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(first.text);
      expect(await orderCount(`replay-${k}`)).toBe(1);
      expect(await outboxOf(first.body.id)).toEqual(['order.created']);
      // The stored response is sealed: it carries customer data.
      const { rows } = await suite.sql.query<{ body: string }>('SELECT body FROM orders.idempotency_keys WHERE key = $1', [k]);
      expect(rows[0].body).toMatch(/^ocs1\./);
      expect(rows[0].body).not.toContain('anna@example.com');
    });

    it('answers a repeated payment with the first payment: one payment on the order, one payment change event', async () => {
      const order = await createOrder(suite.http);
      const k = newKey();
      const first = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment);
      expect(first.status).toBe(201);
      const before = await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA);

      for (let retry = 0; retry < 3; retry += 1) {
        const again = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment);
        expect(again.status).toBe(201);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.body).toEqual(first.body);
      }
      const after = await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA);
      expect(after.body).toEqual(before.body);
      expect(after.body.payments).toHaveLength(1);
      expect(await outboxOf(order.id)).toEqual(['order.created', 'order.payment.changed']);
    });

    it('takes the key as a quoted structured-field string or bare: the same key', async () => {
      const order = await createOrder(suite.http);
      const k = newKey();
      const first = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, `"${k}"`).send(payment);
      const again = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment);
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
    });

    it('compares bodies as JSON: member order and whitespace do not make another request', async () => {
      const order = await createOrder(suite.http);
      const k = newKey();
      const first = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment);
      const reordered = `{ "state": "authorized", "amount": 998,\n "name": "Klarna", "adapterId": "klarna-checkout" }`;
      const again = await request(suite.http).post(payments(order.id)).set({ ...ALPHA, 'content-type': 'application/json' }).set(KEY, k).send(reordered);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(first.body.id);
    });

    it('replays a state change without a second transition', async () => {
      const order = await createOrder(suite.http);
      const k = newKey();
      const first = await request(suite.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).set(KEY, k).send({ currentStatus: 'processing' });
      const again = await request(suite.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).set(KEY, k).send({ currentStatus: 'processing' });
      expect([first.status, again.status]).toEqual([200, 200]);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await outboxOf(order.id)).toEqual(['order.created', 'order.state.changed']);
    });
  });

  describe('a different request with a used key', () => {
    it('is 422 for another body, another path or another channel, and changes nothing', async () => {
      const order = await createOrder(suite.http);
      const other = await createOrder(suite.http);
      const k = newKey();
      expect((await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment)).status).toBe(201);
      const before = await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA);

      const otherBody = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send({ ...payment, amount: 1 });
      expect(otherBody.status).toBe(422);
      expect(otherBody.body.message).toMatch(/different request/);
      expect((await request(suite.http).post(payments(other.id)).set(ALPHA).set(KEY, k).send(payment)).status).toBe(422);
      expect((await request(suite.http).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA).set(KEY, k).send({ adapterId: 'postnord', state: 'intent' })).status).toBe(422);

      expect((await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA)).body).toEqual(before.body);
      expect((await request(suite.http).get(`${ORDERS}/${other.id}`).set(ALPHA)).body.payments).toEqual([]);
      expect(await outboxOf(order.id)).toEqual(['order.created', 'order.payment.changed']);

      const created = newKey();
      const body = orderRequest({ reference: `channel-${created}` });
      expect((await request(suite.http).post(ORDERS).set(WEB).set(KEY, created).send(body)).status).toBe(201);
      expect((await request(suite.http).post(ORDERS).set({ ...ALPHA, 'x-channel': 'app' }).set(KEY, created).send(body)).status).toBe(422);
      expect(await orderCount(`channel-${created}`)).toBe(1);
    });
  });

  describe('malformed keys', () => {
    it.each([
      ['empty', ''],
      ['longer than 255 characters', 'k'.repeat(256)],
      ['with a tab', 'tab\there'],
      ['not ASCII', 'clé'],
      ['a quoted string with a stray quote', '"a"b"'],
    ])('refuses a key %s with 400 and changes nothing', async (_name, value) => {
      const reference = `malformed-${newKey()}`;
      const response = await request(suite.http).post(ORDERS).set(WEB).set(KEY, value).send(orderRequest({ reference }));
      expect(response.status).toBe(400);
      expect(response.body.message.join(' ')).toMatch(/Idempotency-Key/);
      expect(await orderCount(reference)).toBe(0);
    });

    it('refuses two Idempotency-Key headers with 400 and changes nothing, even two equal ones (node would join them into one key)', async () => {
      const reference = `twice-${newKey()}`;
      const k = newKey();
      // An array is sent as one header line per value (superagent's types know that only for Cookie).
      const response = await request(suite.http).post(ORDERS).set(WEB).set(KEY, [k, k] as unknown as string).send(orderRequest({ reference }));
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual(['send one Idempotency-Key header']);
      expect(await orderCount(reference)).toBe(0);
    });

    it('accepts a key of exactly 255 characters', async () => {
      const order = await createOrder(suite.http);
      expect((await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, 'k'.repeat(255)).send(payment)).status).toBe(201);
    });
  });

  describe('failed requests', () => {
    it('stores no key for a 4xx, so the client may correct the request and send it with the same key', async () => {
      const order = await createOrder(suite.http);
      const k = newKey();
      const invalid = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send({ ...payment, amount: 'lots' });
      expect(invalid.status).toBe(400);
      expect(await storedKeys('alpha', k)).toBe(0);
      const illegal = await request(suite.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).set(KEY, k).send({ currentStatus: 'completed' });
      expect(illegal.status).toBe(409);
      expect(await storedKeys('alpha', k)).toBe(0);

      const valid = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment);
      expect(valid.status).toBe(201);
      expect(valid.headers['idempotent-replayed']).toBeUndefined();
      expect(await storedKeys('alpha', k)).toBe(1);
    });
  });

  describe('concurrent requests with one key', () => {
    it('answers 409 while the first is still running, then replays its response once it committed', async () => {
      const order = await createOrder(suite.http);
      const k = newKey();
      // Holds the order's row lock, so the first request waits inside its transaction, holding the key.
      const blocker = await connectTo(suite.db.url);
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM orders.orders WHERE id = $1 FOR UPDATE', [order.id]);
      let first: Promise<request.Response> | undefined;
      try {
        first = request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment).then((response) => response);
        await waitFor(async () => (await suite.sql.query(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%UPDATE orders.orders%'",
        )).rows[0].count === '1');

        const concurrent = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment);
        expect(concurrent.status).toBe(409);
        expect(concurrent.body.message).toMatch(/still being processed/);
      } finally {
        await blocker.query('COMMIT');
        await blocker.end();
      }
      const settled = await first;
      expect(settled?.status).toBe(201);
      const replayed = await request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, k).send(payment);
      expect(replayed.status).toBe(201);
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(replayed.body).toEqual(settled?.body);
      expect((await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA)).body.payments).toHaveLength(1);
    });

    it('does not hold other keys back', async () => {
      const order = await createOrder(suite.http);
      const blocker = await connectTo(suite.db.url);
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM orders.orders WHERE id = $1 FOR UPDATE', [order.id]);
      try {
        const held = request(suite.http).post(payments(order.id)).set(ALPHA).set(KEY, newKey()).send(payment).then((response) => response.status);
        const elsewhere = await createOrder(suite.http);
        const other = await request(suite.http).post(payments(elsewhere.id)).set(ALPHA).set(KEY, newKey()).send(payment);
        expect(other.status).toBe(201);
        await blocker.query('COMMIT');
        expect(await held).toBe(201);
      } finally {
        await blocker.end();
      }
    });
  });

  describe('per merchant', () => {
    it('treats one key used by two merchants as two keys', async () => {
      const k = newKey();
      const body = orderRequest({ reference: `shared-${k}` });
      const alpha = await request(suite.http).post(ORDERS).set(WEB).set(KEY, k).send(body);
      const beta = await request(suite.http).post(ORDERS).set({ ...BETA, 'x-channel': 'web' }).set(KEY, k).send(body);
      expect([alpha.status, beta.status]).toEqual([201, 201]);
      expect(beta.headers['idempotent-replayed']).toBeUndefined();
      expect(beta.body.id).not.toBe(alpha.body.id);
      expect(beta.body.merchant).toBe('beta');
      expect([await orderCount(`shared-${k}`, 'alpha'), await orderCount(`shared-${k}`, 'beta')]).toEqual([1, 1]);
    });

    it('keeps keys under row-level security: a merchant transaction sees only its own', async () => {
      const k = newKey();
      await createOrderWithKey(k, ALPHA);
      await createOrderWithKey(newKey(), BETA);
      const dataSource = suite.service.app.get(DataSource);
      const seen = await runInTenantScope('alpha', () => dataSource.query<{ merchant: string }[]>('SELECT DISTINCT merchant FROM orders.idempotency_keys'));
      expect(seen).toEqual([{ merchant: 'alpha' }]);
    });
  });

  describe('expiry', () => {
    it('forgets a key after 24 hours (the request runs again) and the purge deletes expired keys only', async () => {
      const k = newKey();
      const reference = `expiry-${k}`;
      const first = await request(suite.http).post(ORDERS).set(WEB).set(KEY, k).send(orderRequest({ reference }));
      await suite.sql.query("UPDATE orders.idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE key = $1", [k]);

      const later = await request(suite.http).post(ORDERS).set(WEB).set(KEY, k).send(orderRequest({ reference }));
      expect(later.status).toBe(201);
      expect(later.headers['idempotent-replayed']).toBeUndefined();
      expect(later.body.id).not.toBe(first.body.id);
      expect(await orderCount(reference)).toBe(2);
      const replayed = await request(suite.http).post(ORDERS).set(WEB).set(KEY, k).send(orderRequest({ reference }));
      expect(replayed.body.id).toBe(later.body.id);

      const young = newKey();
      await createOrderWithKey(young, ALPHA);
      await suite.sql.query(
        `INSERT INTO orders.idempotency_keys (merchant, key, fingerprint, status, body, created_at)
         SELECT 'alpha', 'expired-' || i, 'f', 201, null, now() - interval '25 hours' FROM generate_series(1, 12000) AS i`,
      );
      const deleted = await purgeExpiredIdempotencyKeys(suite.service.app.get(DataSource));
      expect(deleted).toBeGreaterThanOrEqual(12_000);
      expect(Number((await suite.sql.query("SELECT count(*) FROM orders.idempotency_keys WHERE created_at <= now() - interval '24 hours'")).rows[0].count)).toBe(0);
      expect(await storedKeys('alpha', young)).toBe(1);
      expect(await storedKeys('alpha', k)).toBe(1);
    });
  });

  async function createOrderWithKey(k: string, headers: Record<string, string>): Promise<Order> {
    const response = await request(suite.http).post(ORDERS).set({ ...headers, 'x-channel': 'web' }).set(KEY, k).send(orderRequest());
    expect(response.status).toBe(201);
    return response.body;
  }
});

async function connectTo(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
