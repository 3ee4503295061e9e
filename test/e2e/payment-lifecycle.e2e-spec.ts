import request from 'supertest';
import { ALPHA, EVENTS, ORDERS, startSystem, System } from '../support/system';
import type { ReceivedRequest } from '../support/webhook-sink';

jest.setTimeout(120_000);

const PATH = '/bridgerpay';
const WATCHED = ['authorized', 'approved', 'declined', 'partly_refunded', 'refunded'];

/**
 * A payment's lifecycle as BridgerPay reports it: one order, several payment notifications, each
 * its own delivery with its own stable webhook-id, so a receiver can drop duplicates. Through
 * both services and the real Kafka broker.
 */
describe('payment lifecycle notifications through the kafka bus', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem('kafka');
  });

  afterAll(async () => {
    await system?.close();
  });

  const payments = () => request(system.ordersHttp);

  /** Each step waits for its notification, as a real lifecycle has time between states; without a watched state, it waits for none. */
  async function step(change: () => Promise<unknown>, state: string): Promise<void> {
    const before = system.sink.received(PATH).length;
    await change();
    if (WATCHED.includes(state)) await system.sink.waitFor(before + 1, 30_000, PATH);
  }

  it('notifies authorized, approved, partly_refunded, refunded and declined in order, each with its own stable webhook-id', async () => {
    const order = await system.createOrder({ notifications: [{ url: system.sink.url(PATH), reference: 'bridgerpay', scope: { payment: WATCHED } }] });
    const url = `${ORDERS}/${order.id}/payments`;

    let paymentId = '';
    await step(async () => {
      paymentId = (await payments().post(url).set(ALPHA).send({ adapterId: 'bridgerpay', amount: 100, state: 'intent' }).expect(201)).body.id;
    }, 'intent');
    for (const [state, amount] of [['authorized', 100], ['approved', 100], ['partly_refunded', 60], ['refunded', 0]] as const) {
      await step(() => payments().patch(`${url}/${paymentId}`).set(ALPHA).send({ state, amount }).expect(200), state);
    }
    let secondId = '';
    await step(async () => {
      secondId = (await payments().post(url).set(ALPHA).send({ adapterId: 'bridgerpay', amount: 50, state: 'intent' }).expect(201)).body.id;
    }, 'intent');
    await step(() => payments().patch(`${url}/${secondId}`).set(ALPHA).send({ state: 'declined' }).expect(200), 'declined');

    // Changes of one order are ingested in order, so an Event for an intent (which must not match) would exist by now.
    const events = await system.eventsOf(order.id, { count: 5, until: (e) => e.status === 'succeeded' });
    const received = system.sink.received(PATH);
    const bodies = received.map((r) => JSON.parse(r.body));
    expect(bodies.map((body) => body.scope)).toEqual(['payment.authorized', 'payment.approved', 'payment.partly_refunded', 'payment.refunded', 'payment.declined']);
    expect(bodies.map((body) => body.change.paymentId)).toEqual([paymentId, paymentId, paymentId, paymentId, secondId]);
    expect(bodies.map((body) => [body.change.from, body.change.to])).toEqual([
      ['intent', 'authorized'], ['authorized', 'approved'], ['approved', 'partly_refunded'], ['partly_refunded', 'refunded'], ['intent', 'declined'],
    ]);
    expect(bodies.every((body) => body.type === 'order.payment.changed' && body.orderId === order.id)).toBe(true);
    const occurred = bodies.map((body) => Date.parse(body.occurredAt));
    expect([...occurred].sort((a, b) => a - b)).toEqual(occurred);

    const ids = received.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(5);
    expect(ids).toEqual(bodies.map((body) => body.id));
    expect(events).toHaveLength(5);
    expect(new Set(events.map((e) => e.messageId))).toEqual(new Set(ids));
    expect(events.map((e) => e.scope).sort()).toEqual(['payment.approved', 'payment.authorized', 'payment.declined', 'payment.partly_refunded', 'payment.refunded']);

    // A duplicate (an operator's retry) carries the same webhook-id: a receiver keeping the ids it saw drops it.
    const approved = events.find((e) => e.scope === 'payment.approved');
    await request(system.notificationsHttp).post(`${EVENTS}/${approved?.id}/retry`).set(ALPHA).expect(202);
    const withDuplicate = await system.sink.waitFor(6, 30_000, PATH);
    expect(withDuplicate[5].headers['webhook-id']).toBe(approved?.messageId);
    expect(withDuplicate[5].body).toBe(received[1].body);
    expect(deduplicate(withDuplicate).map((r) => JSON.parse(r.body).scope)).toEqual(bodies.map((body) => body.scope));
  });
});

/** What a receiver does with webhook-id: the first request of each id counts, repeats are dropped. */
function deduplicate(requests: ReceivedRequest[]): ReceivedRequest[] {
  const seen = new Set<string>();
  return requests.filter((r) => {
    const id = String(r.headers['webhook-id']);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
