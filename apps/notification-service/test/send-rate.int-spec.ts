import { normaliseScope } from '@ordercast/contracts';
import request from 'supertest';
import { aChangeEvent, aRegistration, anOrder, withState } from './fixtures/orders';
import { ALPHA, BETA, EVENTS, NOTIFICATIONS, startSuite, Suite } from './notification-service.fixture';

/**
 * Manual sends carry the order to every registration of it, so one merchant triggering large
 * orders in a loop is held to MERCHANT_SEND_BYTES_PER_SECOND (here 64 KiB/s, 128 KiB at once):
 * past it a trigger is a 429 with Retry-After that creates nothing, while another merchant's goes on.
 */
describe('per-merchant on-demand send rate (MERCHANT_SEND_BYTES_PER_SECOND=65536, burst 131072)', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite({ MERCHANT_SEND_BYTES_PER_SECOND: '65536', MERCHANT_SEND_BURST_BYTES: '131072' })));
  afterAll(() => suite.close());

  /** An order of `merchant` with five registrations on the sink and about 20 kB of customer data, stored as its latest snapshot. */
  async function largeOrder(merchant: string): Promise<string> {
    const registrations = [...Array(5).keys()].map((index) => aRegistration({ url: suite.sink.url(`/send-rate/${merchant}/${index}`), scope: normaliseScope({ state: ['completed'] }) }));
    const before = anOrder({ merchant, notifications: registrations, customer: { email: 'a@example.com', note: 'n'.repeat(20_000) } as never });
    await suite.publish(aChangeEvent(before, withState(before, 'processing')));
    return before.id;
  }

  const trigger = (orderId: string, headers: Record<string, string>) => request(suite.http).post(`${NOTIFICATIONS}/orders/${orderId}/trigger`).set(headers).send({});
  const eventCount = async () => (await suite.sql.query(`SELECT count(*)::int AS n FROM notifications.events`)).rows[0].n as number;

  it('refuses a merchant past its rate with 429 and Retry-After, creating nothing, while another merchant sends', async () => {
    const alphaOrder = await largeOrder('alpha');
    const betaOrder = await largeOrder('beta');
    for (let waited = 0; waited < 5000; waited += 50) {
      const { rows } = await suite.sql.query(`SELECT count(*)::int AS n FROM notifications.order_snapshots`);
      if (rows[0].n === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Five deliveries of about 20 kB each: the 128 KiB burst takes one trigger, the next waits.
    expect((await trigger(alphaOrder, ALPHA)).status).toBe(202);
    const events = await eventCount();
    const refused = await trigger(alphaOrder, ALPHA);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(refused.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests', retryAfterSeconds: retryAfter });
    expect(refused.body.message).toMatch(/^merchant alpha sends deliveries on demand faster than 65536 bytes per second \(MERCHANT_SEND_BYTES_PER_SECOND\); this request takes \d+ bytes, retry in \d+ s$/);
    expect(await eventCount()).toBe(events);

    expect((await trigger(betaOrder, BETA)).status).toBe(202);
    expect(await eventCount()).toBe(events + 5);
  });

  it('retries in bulk only as many failed deliveries as the allowance covers, oldest first', async () => {
    // Beta's five deliveries go to a path that answers 400: each ends failed at once (a manual send is not retried).
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const betaOrder = await largeOrder('beta');
    for (let index = 0; index < 5; index += 1) suite.sink.respond(`/send-rate/beta/${index}`, 400);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await trigger(betaOrder, BETA)).status).toBe(202);
    const failed = async () => (await suite.sql.query(`SELECT count(*)::int AS n FROM notifications.events WHERE merchant = 'beta' AND order_id = $1 AND status = 'failed'`, [betaOrder])).rows[0].n as number;
    for (let waited = 0; (await failed()) < 5 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await failed()).toBe(5);

    // Five bodies of about 21 kB: after 2 s of refill about 128 KiB is there, so at most five fit; right after, only what refilled.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const first = await request(suite.http).post(`${NOTIFICATIONS}/events/retry`).set(BETA).send({ status: 'failed', orderId: betaOrder });
    expect(first.status).toBe(202);
    expect(first.body.count).toBeGreaterThan(0);
    expect(first.body.count).toBeLessThanOrEqual(5);
    const retried = await eventCount();
    const second = await request(suite.http).post(`${NOTIFICATIONS}/events/retry`).set(BETA).send({ status: 'failed', orderId: betaOrder });
    expect([202, 429]).toContain(second.status);
    if (second.status === 202) expect(second.body.count).toBeLessThanOrEqual(1);
    expect(await eventCount()).toBeLessThanOrEqual(retried + 1);
  });

  /** Waits until `merchant`'s allowance is full again, whatever the tests before left of it: in debt by at most this many bytes. */
  const refilled = (debtBytes = 262_144) => new Promise((resolve) => setTimeout(resolve, Math.ceil(((131_072 + debtBytes) / 65_536) * 1000)));

  /** `count` failed deliveries of beta (each a 400), about `noteBytes` each, from orders of `perOrder` registrations. */
  async function failedDeliveries(path: string, orders: number, perOrder: number, noteBytes: number): Promise<{ orderIds: string[]; eventIds: string[] }> {
    const ids: string[] = [];
    for (let n = 0; n < orders; n += 1) {
      const registrations = [...Array(perOrder).keys()].map((index) => aRegistration({ url: suite.sink.url(`${path}/${n}/${index}`), scope: normaliseScope({ state: ['completed'] }) }));
      for (let index = 0; index < perOrder; index += 1) suite.sink.respond(`${path}/${n}/${index}`, 400);
      const before = anOrder({ merchant: 'beta', notifications: registrations, customer: { email: 'a@example.com', note: 'n'.repeat(noteBytes) } as never });
      await suite.publish(aChangeEvent(before, withState(before, 'processing')));
      await refilled(noteBytes * perOrder);
      for (let waited = 0; waited < 5000 && (await trigger(before.id, BETA)).status !== 202; waited += 500) await new Promise((resolve) => setTimeout(resolve, 500));
      ids.push(before.id);
    }
    const failed = async () => (await suite.sql.query(`SELECT id FROM notifications.events WHERE merchant = 'beta' AND order_id = ANY($1) AND status = 'failed'`, [ids])).rows.map((row) => row.id as string);
    for (let waited = 0; (await failed()).length < orders * perOrder && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    return { orderIds: ids, eventIds: await failed() };
  }

  // Retries side by side all found the allowance unspent (each is charged once its body's size is
  // known) and together created many times the burst: 60 at once, 4.7 MB against 128 KiB (attack of 2026-12-02).
  it('charges retries sent at once one after another, so together they stay near the burst', async () => {
    const { eventIds: failed } = await failedDeliveries('/send-rate/together', 2, 5, 20_000);
    expect(failed).toHaveLength(10);
    await refilled();
    const before = await eventCount();
    const answers = await Promise.all(failed.map((id) => request(suite.http).post(`${EVENTS}/${id}/retry`).set(BETA).send({})));
    const accepted = answers.filter((answer) => answer.status === 202).length;
    // Ten bodies of about 21 kB against 128 KiB: six fit, a seventh is let in on what is left and charged in full.
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThanOrEqual(7);
    expect(answers.filter((answer) => answer.status === 429)).toHaveLength(10 - accepted);
    expect(await eventCount()).toBe(before + accepted);
  });

  it('bulk-retries a delivery larger than the burst with a full allowance, and answers 429 while the allowance covers none', async () => {
    const { orderIds: [orderId], eventIds } = await failedDeliveries('/send-rate/large', 1, 1, 150_000);
    expect(eventIds).toHaveLength(1);
    await refilled(150_000);
    const first = await request(suite.http).post(`${EVENTS}/retry`).set(BETA).send({ status: 'failed', orderId });
    expect(first.body).toEqual({ count: 1 });
    const failedAgain = async () => (await suite.sql.query(`SELECT count(*)::int AS n FROM notifications.events WHERE order_id = $1 AND attempt = 2 AND status = 'failed'`, [orderId])).rows[0].n as number;
    for (let waited = 0; (await failedAgain()) < 1 && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    // In debt after 150 kB, and what refills in a moment covers no delivery of that size: the answer says when it will.
    const events = await eventCount();
    const second = await request(suite.http).post(`${EVENTS}/retry`).set(BETA).send({ status: 'failed', orderId });
    expect(second.status).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await eventCount()).toBe(events);
  });

  // Bulk retries sent at once each chose the same oldest deliveries (the one before had not
  // committed), created nothing for them and answered 202 { count: 0 } while others were left (re-attack, 2026-12-02).
  it('answers bulk retries sent at once each with deliveries retried or a 429, never an empty 202 while some are left', async () => {
    const since = new Date().toISOString();
    await failedDeliveries('/send-rate/bulk-together', 4, 40, 500);
    // The retried attempts stay pending while the calls run, so deliveries are left for every call whatever the machine's speed.
    for (let n = 0; n < 4; n += 1) for (let index = 0; index < 40; index += 1) suite.sink.respond(`/send-rate/bulk-together/${n}/${index}`, { status: 400, delayMs: 5000 });
    await refilled();
    // 160 small deliveries, more than the allowance covers: a call takes what it covers, and a little refills while the next ones wait their turn.
    const retryAll = () => request(suite.http).post(`${EVENTS}/retry`).set(BETA).send({ status: 'failed', since });
    const answers = await Promise.all(Array.from({ length: 20 }, retryAll));
    const more = await Promise.all(Array.from({ length: 20 }, retryAll));
    for (const answer of [...answers, ...more]) {
      if (answer.status === 202) expect(answer.body.count).toBeGreaterThan(0);
      else expect(answer.status).toBe(429);
    }
  });
});
