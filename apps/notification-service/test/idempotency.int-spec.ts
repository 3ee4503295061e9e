import { Client } from 'pg';
import request from 'supertest';
import { EventRetention } from '../src/events/retention.service';
import { aRegistration, anOrder, aChangeEvent, withState } from './fixtures/orders';
import { ALPHA, BETA, EVENTS, NOTIFICATIONS, startSuite, Suite } from './notification-service.fixture';

const KEY = 'Idempotency-Key';
const SUBSCRIPTIONS = `${NOTIFICATIONS}/subscriptions`;
const subscription = (name: string) => ({ name, scope: { state: ['completed'] }, url: 'https://erp.example.com/orders/{order.id}', headers: { 'X-API-Key': 'erp-key-1' } });

/**
 * Idempotency-Key on notification-service's writes (IETF draft), against real PostgreSQL:
 * subscriptions, manual trigger, retries and secrets replay the first response on a retry with
 * the same key and create nothing more; another request is 422; a request while the first is
 * running is 409; keys are per merchant and expire after 24 hours.
 */
describe('Idempotency-Key on notification-service (real PostgreSQL)', () => {
  let suite: Suite;
  let key = 0;
  const newKey = () => `key-${Date.now()}-${(key += 1)}`;

  beforeAll(async () => (suite = await startSuite()));
  afterAll(() => suite?.close());

  const count = async (sql: string, values: unknown[] = []) => Number((await suite.sql.query(sql, values)).rows[0].count);
  const subscriptionsNamed = (name: string, merchant = 'alpha') =>
    count('SELECT count(*) FROM notifications.subscriptions WHERE name = $1 AND merchant = $2', [name, merchant]);

  /**
   * An order with one registration on the sink, delivered once (the completed change). The
   * subscriptions the tests above created are removed first: they would add deliveries of their own.
   */
  async function deliveredOrder(): Promise<{ orderId: string; eventId: string }> {
    await suite.sql.query('DELETE FROM notifications.subscriptions');
    const registration = aRegistration({ url: suite.sink.url('/erp/{order.id}'), scope: [{ pointer: '/state/currentStatus', schema: { enum: ['completed'] } }], secret: null });
    const accepted = withState(anOrder({ merchant: 'alpha', notifications: [registration] }), 'accepted', '2025-01-01T10:00:00.000Z');
    await suite.publish(aChangeEvent(accepted, withState(accepted, 'completed')));
    const [event] = await suite.eventsOf(accepted.id, { count: 1, until: (e) => e.status === 'succeeded' });
    return { orderId: accepted.id, eventId: event.id };
  }

  describe('subscriptions', () => {
    it('replays a repeated create: the first response, one subscription', async () => {
      const k = newKey();
      const name = `replay ${k}`;
      const first = await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(name));
      const again = await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(name));
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.text).toBe(first.text);
      expect(await subscriptionsNamed(name)).toBe(1);
    });

    it('is 422 for another body with a used key, and creates nothing', async () => {
      const k = newKey();
      expect((await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(`a ${k}`))).status).toBe(201);
      const other = await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(`b ${k}`));
      expect(other.status).toBe(422);
      expect(await subscriptionsNamed(`b ${k}`)).toBe(0);
    });

    it('answers 409 while the first request with the key is still running, then replays it', async () => {
      const k = newKey();
      const name = `concurrent ${k}`;
      // Blocks inserts into subscriptions, so the first request waits inside its transaction, holding the key.
      const blocker = new Client({ connectionString: suite.db.url });
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE notifications.subscriptions IN SHARE MODE');
      let first: Promise<request.Response> | undefined;
      try {
        first = request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(name)).then((response) => response);
        await waitFor(async () => (await count(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%subscriptions%'",
        )) === 1);
        const concurrent = await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(name));
        expect(concurrent.status).toBe(409);
      } finally {
        await blocker.query('COMMIT');
        await blocker.end();
      }
      const settled = await first;
      expect(settled?.status).toBe(201);
      const replayed = await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(name));
      expect(replayed.headers['idempotent-replayed']).toBe('true');
      expect(replayed.body).toEqual(settled?.body);
      expect(await subscriptionsNamed(name)).toBe(1);
    });

    it('treats one key used by two merchants as two keys', async () => {
      const k = newKey();
      const name = `shared ${k}`;
      const alpha = await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(name));
      const beta = await request(suite.http).post(SUBSCRIPTIONS).set(BETA).set(KEY, k).send(subscription(name));
      expect([alpha.status, beta.status]).toEqual([201, 201]);
      expect(beta.headers['idempotent-replayed']).toBeUndefined();
      expect(beta.body.id).not.toBe(alpha.body.id);
      expect([await subscriptionsNamed(name, 'alpha'), await subscriptionsNamed(name, 'beta')]).toEqual([1, 1]);
    });

    it('forgets a key after 24 hours, and the retention purge deletes it', async () => {
      const k = newKey();
      const name = `expiry ${k}`;
      const first = await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(name));
      await suite.sql.query("UPDATE notifications.idempotency_keys SET created_at = now() - interval '24 hours 1 minute' WHERE key = $1", [k]);
      const later = await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, k).send(subscription(name));
      expect(later.status).toBe(201);
      expect(later.headers['idempotent-replayed']).toBeUndefined();
      expect(later.body.id).not.toBe(first.body.id);
      expect(await subscriptionsNamed(name)).toBe(2);

      const young = newKey();
      await request(suite.http).post(SUBSCRIPTIONS).set(ALPHA).set(KEY, young).send(subscription(`young ${k}`)).expect(201);
      await suite.sql.query("UPDATE notifications.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1", [k]);
      expect(await suite.app.get(EventRetention).purgeIdempotencyKeys()).toBeGreaterThanOrEqual(1);
      expect(await count('SELECT count(*) FROM notifications.idempotency_keys WHERE key = $1', [k])).toBe(0);
      expect(await count('SELECT count(*) FROM notifications.idempotency_keys WHERE key = $1', [young])).toBe(1);
    });
  });

  describe('manual trigger', () => {
    it('replays a repeated trigger: the same Events, no second send', async () => {
      const { orderId } = await deliveredOrder();
      const k = newKey();
      const trigger = `${NOTIFICATIONS}/orders/${orderId}/trigger`;
      const first = await request(suite.http).post(trigger).set(ALPHA).set(KEY, k).send({});
      expect(first.status).toBe(202);
      expect(first.body.data).toHaveLength(1);
      const again = await request(suite.http).post(trigger).set(ALPHA).set(KEY, k).send({});
      expect(again.status).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await count("SELECT count(*) FROM notifications.events WHERE order_id = $1 AND trigger = 'manual'", [orderId])).toBe(1);
      expect((await request(suite.http).post(trigger).set(ALPHA).set(KEY, k).send({ reference: 'other' })).status).toBe(422);
    });
  });

  describe('retries', () => {
    it('replays a repeated retry of one Event: one new attempt', async () => {
      const { eventId } = await deliveredOrder();
      const k = newKey();
      const retry = `${EVENTS}/${eventId}/retry`;
      const first = await request(suite.http).post(retry).set(ALPHA).set(KEY, k).send();
      expect(first.status).toBe(202);
      const again = await request(suite.http).post(retry).set(ALPHA).set(KEY, k).send();
      expect(again.status).toBe(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
      expect(await count('SELECT count(*) FROM notifications.events WHERE retry_of = $1', [eventId])).toBe(1);
    });

    it('replays a repeated bulk retry with its first count', async () => {
      const { orderId } = await deliveredOrder();
      await suite.sql.query("UPDATE notifications.events SET status = 'failed' WHERE order_id = $1", [orderId]);
      const k = newKey();
      const first = await request(suite.http).post(`${EVENTS}/retry`).set(ALPHA).set(KEY, k).send({ status: 'failed', orderId });
      expect(first.status).toBe(202);
      expect(first.body).toEqual({ count: 1 });
      const again = await request(suite.http).post(`${EVENTS}/retry`).set(ALPHA).set(KEY, k).send({ status: 'failed', orderId });
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual({ count: 1 });
      expect(await count("SELECT count(*) FROM notifications.events WHERE order_id = $1 AND trigger = 'retry'", [orderId])).toBe(1);
    });
  });

  describe('secrets', () => {
    it('replays a generated secret to a retry with the same key, and keeps it sealed at rest', async () => {
      const k = newKey();
      const first = await request(suite.http).post(`${NOTIFICATIONS}/secrets`).set(ALPHA).set(KEY, k).send();
      const again = await request(suite.http).post(`${NOTIFICATIONS}/secrets`).set(ALPHA).set(KEY, k).send();
      expect(first.body.secret).toMatch(/^whsec_/);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.secret).toBe(first.body.secret);
      const { rows } = await suite.sql.query<{ body: string }>('SELECT body FROM notifications.idempotency_keys WHERE key = $1', [k]);
      expect(rows[0].body).toMatch(/^ocs1\./);
      expect(rows[0].body).not.toContain(first.body.secret.slice('whsec_'.length));
    });
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
