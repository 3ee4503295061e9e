import request from 'supertest';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { ALPHA, NOTIFICATIONS, startSystem, System } from '../support/system';

jest.setTimeout(120_000);

/**
 * Verifone Checkout's manual notification: an operator sends an order's notifications now, from
 * the latest snapshot, whatever their scope. Through both services and the real Kafka broker.
 */
describe('manual notification through the kafka bus', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem('kafka');
  });

  afterAll(async () => {
    await system?.close();
  });

  const trigger = (orderId: string, body: Record<string, unknown> = {}) => request(system.notificationsHttp).post(`${NOTIFICATIONS}/orders/${orderId}/trigger`).set(ALPHA).send(body);

  it('sends the registered notifications now from the latest snapshot, by reference or all of them, each as a new delivery', async () => {
    const order = await system.createOrder({
      notifications: [
        { url: system.sink.url('/manual/erp'), reference: 'erp', scope: { state: ['completed'] } },
        { delivery: 'poll', reference: 'poller', scope: { state: ['completed'] } },
        { url: system.sink.url('/manual/marker'), reference: 'marker', scope: { state: ['accepted'] } },
      ],
    });
    await system.setState(order.id, 'processing');
    await system.setState(order.id, 'accepted');
    // The trigger reads the snapshot notification-service ingested: the marker shows the change got there.
    await system.sink.waitFor(1, 30_000, '/manual/marker');

    const byReference = await trigger(order.id, { reference: 'erp' }).expect(202);
    expect(byReference.body.data).toEqual([expect.objectContaining({ trigger: 'manual', scope: 'manual', reference: 'erp', status: 'pending' })]);
    const [received] = await system.sink.waitFor(1, 30_000, '/manual/erp');
    expect(JSON.parse(received.body)).toMatchObject({
      type: 'order.notification.triggered',
      scope: 'manual',
      orderId: order.id,
      change: { kind: 'manual' },
      order: { state: { currentStatus: 'accepted' } },
    });

    const all = await trigger(order.id).expect(202);
    const events = all.body.data as EventRecord[];
    expect(events.map((e) => e.reference).sort()).toEqual(['erp', 'marker', 'poller']);
    expect(events.find((e) => e.reference === 'poller')).toMatchObject({ status: 'succeeded', responseBody: 'queued for polling' });
    const [again] = (await system.sink.waitFor(2, 30_000, '/manual/erp')).slice(1);
    expect(again.headers['webhook-id']).not.toBe(received.headers['webhook-id']);
    const polled = await request(system.notificationsHttp).get(`${NOTIFICATIONS}/receive`).query({ autoAck: true, timeoutMs: 5000 }).set(ALPHA).expect(200);
    expect(polled.body.messages.map((m: { orderNotification: { scope: string; orderId: string } }) => [m.orderNotification.scope, m.orderNotification.orderId])).toEqual([['manual', order.id]]);

    await trigger(order.id, { reference: 'no-such-notification' }).expect(404);
    await trigger('no-such-order').expect(404);
  });
});
