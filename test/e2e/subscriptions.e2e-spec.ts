import { createHmac } from 'node:crypto';
import request from 'supertest';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { ALPHA, EVENTS, NOTIFICATIONS, startSystem, System } from '../support/system';
import type { ReceivedRequest } from '../support/webhook-sink';

jest.setTimeout(120_000);

const SUBSCRIPTIONS = `${NOTIFICATIONS}/subscriptions`;

/**
 * Merchant-wide subscriptions (Verifone Central) through both services and the real Kafka broker.
 * Subscriptions apply to every order of the merchant, so each test works in channels of its own;
 * a registration on the order itself marks when a change has gone through the whole pipeline, so
 * "nothing was sent" is checked after the change was processed rather than after a guessed delay.
 */
describe('merchant-wide subscriptions through the kafka bus', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem('kafka');
  });

  afterAll(async () => {
    await system?.close();
  });

  const api = () => request(system.notificationsHttp);
  const subscribe = async (body: Record<string, unknown>) => (await api().post(SUBSCRIPTIONS).set(ALPHA).send(body).expect(201)).body as { id: string; enabled: boolean; secret: string | null };
  const marker = (path: string, state: string) => ({ url: system.sink.url(path), scope: { state: [state] } });

  /** Moves the order to `state` and waits until its marker registration received the change. */
  async function changeAndWait(orderId: string, state: string, markerPath: string, markers: number): Promise<void> {
    await system.setState(orderId, state);
    await system.sink.waitFor(markers, 30_000, markerPath);
  }

  /** Walks the order through `states`; its marker watches the last one. */
  async function walkAndWait(orderId: string, markerPath: string, ...states: string[]): Promise<void> {
    for (const state of states.slice(0, -1)) await system.setState(orderId, state);
    await changeAndWait(orderId, states[states.length - 1], markerPath, 1);
  }

  it('delivers to a subscription for orders of its channels only, records subscriptionId, and retries like any Event', async () => {
    const subscription = await subscribe({ name: 'Completed web orders to the ERP', channels: ['web-a'], scope: { state: ['completed'] }, url: system.sink.url('/sub/erp') });
    expect(subscription.enabled).toBe(true);

    const order = await system.createOrder({ notifications: [marker('/marker/a', 'completed')] }, 'web-a');
    await walkAndWait(order.id, '/marker/a', 'processing', 'accepted', 'completed');
    const [received] = await system.sink.waitFor(1, 30_000, '/sub/erp');
    expect(JSON.parse(received.body)).toMatchObject({
      scope: 'state.completed',
      channel: 'web-a',
      orderId: order.id,
      notification: { id: subscription.id, reference: 'Completed web orders to the ERP' },
      order: { id: order.id, state: { currentStatus: 'completed' } },
    });

    const events = await system.eventsOf(order.id, { count: 2, until: (e) => e.status === 'succeeded' });
    const event = events.find((e) => e.subscriptionId === subscription.id) as EventRecord;
    expect(event).toMatchObject({ notificationId: null, scope: 'state.completed', status: 'succeeded', statusCode: 200, messageId: received.headers['webhook-id'] });
    const bySubscription = await api().get(EVENTS).query({ subscriptionId: subscription.id }).set(ALPHA).expect(200);
    expect(bySubscription.body.data.map((e: EventRecord) => e.id)).toEqual([event.id]);

    const retried = await api().post(`${EVENTS}/${event.id}/retry`).set(ALPHA).expect(202);
    expect(retried.body).toMatchObject({ trigger: 'retry', retryOf: event.id, subscriptionId: subscription.id, messageId: event.messageId });
    const [, again] = await system.sink.waitFor(2, 30_000, '/sub/erp');
    expect(again.headers['webhook-id']).toBe(event.messageId);

    const elsewhere = await system.createOrder({ notifications: [marker('/marker/a-pos', 'completed')] }, 'pos-a');
    await walkAndWait(elsewhere.id, '/marker/a-pos', 'processing', 'accepted', 'completed');
    expect(system.sink.received('/sub/erp').filter((r) => JSON.parse(r.body).orderId === elsewhere.id)).toHaveLength(0);
    expect((await system.eventsOf(elsewhere.id)).every((e) => e.subscriptionId === null)).toBe(true);
  });

  it('covers every channel when channels is empty', async () => {
    const subscription = await subscribe({ name: 'All channels', channels: [], scope: { state: ['declined'] }, url: system.sink.url('/sub/all') });
    for (const channel of ['web-b', 'pos-b']) {
      const order = await system.createOrder({ notifications: [marker(`/marker/${channel}`, 'declined')] }, channel);
      await walkAndWait(order.id, `/marker/${channel}`, 'processing', 'accepted', 'declined');
    }
    const received = await system.sink.waitFor(2, 30_000, '/sub/all');
    expect(received.map((r) => JSON.parse(r.body).channel).sort()).toEqual(['pos-b', 'web-b']);
    await api().patch(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).send({ enabled: false }).expect(200);
  });

  it('delivers nothing once disabled, deletes only when disabled, and applies a new subscription from the very next change', async () => {
    const path = '/sub/toggle';
    const subscription = await subscribe({ name: 'Toggled', channels: ['web-c'], scope: { state: ['processing', 'accepted'] }, url: system.sink.url(path) });
    const order = await system.createOrder({ notifications: [marker('/marker/c', 'processing'), marker('/marker/c', 'accepted')] }, 'web-c');
    await changeAndWait(order.id, 'processing', '/marker/c', 1);
    await system.sink.waitFor(1, 30_000, path);

    await api().delete(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).expect(409);
    const disabled = await api().patch(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).send({ enabled: false }).expect(200);
    expect(disabled.body.enabled).toBe(false);

    // Created just before the change and read by that change's ingest: no cache to wait out.
    const fresh = await subscribe({ name: 'Created just now', channels: ['web-c'], scope: { state: ['accepted'] }, url: system.sink.url('/sub/fresh') });
    await changeAndWait(order.id, 'accepted', '/marker/c', 2);
    await system.sink.waitFor(1, 30_000, '/sub/fresh');
    expect(system.sink.received(path)).toHaveLength(1);
    const events = await system.eventsOf(order.id, { count: 3, until: (e) => e.status === 'succeeded' });
    expect(events.filter((e) => e.subscriptionId === subscription.id)).toHaveLength(1);
    expect(events.filter((e) => e.subscriptionId === fresh.id)).toHaveLength(1);

    await api().delete(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).expect(204);
    await api().get(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).expect(404);
    await api().patch(`${SUBSCRIPTIONS}/${fresh.id}`).set(ALPHA).send({ enabled: false }).expect(200);
  });

  it('sends the metadata payload without the order snapshot, with the order\'s lastModified', async () => {
    await subscribe({ name: 'Metadata only', channels: ['web-d'], scope: { state: ['processing'] }, url: system.sink.url('/sub/metadata'), payload: 'metadata' });
    const order = await system.createOrder({ notifications: [marker('/marker/d', 'processing')] }, 'web-d');
    const processing = await system.setState(order.id, 'processing');
    await system.sink.waitFor(1, 30_000, '/marker/d');
    const [received] = await system.sink.waitFor(1, 30_000, '/sub/metadata');
    const body = JSON.parse(received.body);
    expect(body).toMatchObject({ scope: 'state.processing', orderId: order.id, change: { kind: 'state', from: 'checkout', to: 'processing' } });
    expect(body).not.toHaveProperty('order');
    expect(body.lastModified).toBe(processing.lastModified);
  });

  it("signs with the subscription's secret (Standard Webhooks), never showing it again", async () => {
    const secret = (await api().post(`${NOTIFICATIONS}/secrets`).set(ALPHA).expect(201)).body.secret as string;
    const subscription = await subscribe({ name: 'Signed', channels: ['web-e'], scope: { state: ['processing'] }, url: system.sink.url('/sub/signed'), secret });
    expect(subscription.secret).not.toContain(secret.slice('whsec_'.length));
    const order = await system.createOrder({}, 'web-e');
    await system.setState(order.id, 'processing');
    const [received] = await system.sink.waitFor(1, 30_000, '/sub/signed');
    expect(verifies(secret, received)).toBe(true);
  });
});

function verifies(secret: string, received: ReceivedRequest): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${received.headers['webhook-id']}.${received.headers['webhook-timestamp']}.${received.body}`).digest('base64');
  return String(received.headers['webhook-signature']).split(' ').includes(`v1,${expected}`);
}
