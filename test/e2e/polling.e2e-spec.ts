import { Client } from 'pg';
import request from 'supertest';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { PollSignal } from '../../apps/notification-service/src/polling/poll-signal';
import { ALPHA, BETA, EVENTS, NOTIFICATIONS, ORDERS, startSystem, System } from '../support/system';

jest.setTimeout(120_000);

const VISIBILITY_MS = 1000;

interface Received {
  messageInfo: { messageId: string; receiptHandle: string };
  createdAt: string;
  orderNotification: Record<string, unknown> & { id: string; orderId: string; scope: string; notification: { id: string } };
}

/**
 * The poll queue (J.P. Morgan's receive / ack / list) fed by registrations and subscriptions with
 * `delivery: poll`, through both services and the real Kafka broker. Every test acknowledges what
 * it received, so the merchant's queue is empty between tests.
 */
describe('poll delivery through the kafka bus', () => {
  let system: System;
  let sql: Client;

  beforeAll(async () => {
    system = await startSystem('kafka', { POLL_VISIBILITY_MS: String(VISIBILITY_MS) });
    sql = new Client({ connectionString: system.db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await system?.close();
  });

  const api = () => request(system.notificationsHttp);
  const receive = async (query: Record<string, string | number | boolean>, auth = ALPHA): Promise<Received[]> =>
    (await api().get(`${NOTIFICATIONS}/receive`).query(query).set(auth).expect(200)).body.messages as Received[];
  const ack = async (ids: string[]): Promise<unknown[]> =>
    (await api().post(`${NOTIFICATIONS}/ack`).set(ALPHA).send({ messageInfos: ids.map((messageIdentifier) => ({ messageIdentifier })) }).expect(200)).body.ackFailedMessages;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Waits until PostgreSQL's clock has passed the message's visibility timeout: the condition itself, where a sleep would guess. */
  const untilVisibilityPassed = async (id: string): Promise<void> => {
    while (!(await sql.query(`SELECT 1 FROM notifications.poll_messages WHERE id = $1 AND visible_at <= now()`, [id])).rowCount) await sleep(20);
  };

  it('queues the same body a webhook gets instead of calling a URL, long-polls for it, and forgets it once acknowledged', async () => {
    const order = await system.createOrder({
      notifications: [
        { delivery: 'poll', reference: 'erp-poll', scope: { state: ['processing'] } },
        { url: system.sink.url('/twin'), reference: 'erp-poll', scope: { state: ['processing'] } },
      ],
    });
    const pollRegistration = order.notifications.find((n) => n.delivery === 'poll');

    // The receiver is already waiting when the change happens: its long-poll has subscribed to enqueue signals.
    const signal = system.notifications.get(PollSignal);
    const subscribe = jest.spyOn(signal, 'subscribe');
    const waiting = receive({ autoAck: false, maxNumberMessages: 10, timeoutMs: 10_000 });
    while (subscribe.mock.calls.length === 0) await sleep(10);
    subscribe.mockRestore();
    await system.setState(order.id, 'processing');
    const [message, ...others] = await waiting;
    expect(others).toHaveLength(0);

    const [webhook] = await system.sink.waitFor(1, 30_000, '/twin');
    const twin = JSON.parse(webhook.body);
    const { id, notification, ...polled } = message.orderNotification;
    expect(polled).toEqual(withoutIdAndNotification(twin));
    expect(notification).toEqual({ ...twin.notification, id: pollRegistration?.id });
    expect(message.orderNotification).toMatchObject({ orderId: order.id, scope: 'state.processing', type: 'order.state.changed', order: { state: { currentStatus: 'processing' } } });
    expect(message.messageInfo.messageId).toBe(id);

    const events = await system.eventsOf(order.id, { count: 2, until: (e) => e.status === 'succeeded' });
    const polledEvent = events.find((e) => e.notificationId === pollRegistration?.id) as EventRecord;
    expect(polledEvent).toMatchObject({ messageId: id, status: 'succeeded', statusCode: null, responseBody: 'queued for polling', attempt: 1, request: { url: null } });
    expect(polledEvent.completedAt).not.toBeNull();

    // Inside its visibility window no other receive gets it; acknowledged, it never comes back.
    expect(await receive({ autoAck: false, timeoutMs: 0 })).toHaveLength(0);
    expect(await ack([id])).toEqual([]);
    await untilVisibilityPassed(id);
    expect(await receive({ autoAck: false, timeoutMs: 0 })).toHaveLength(0);
  });

  it('gives an unacknowledged message back after the visibility timeout, and a retry of its Event queues it again', async () => {
    const order = await system.createOrder({ notifications: [{ delivery: 'poll', scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const [first] = await receive({ autoAck: false, timeoutMs: 10_000 });
    expect(first.orderNotification.orderId).toBe(order.id);

    // A long-poll returns it once the visibility timeout is over.
    const [again] = await receive({ autoAck: false, timeoutMs: 10_000 });
    expect(again.messageInfo.messageId).toBe(first.messageInfo.messageId);
    expect(again.messageInfo.receiptHandle).not.toBe(first.messageInfo.receiptHandle);
    await ack([first.messageInfo.messageId]);

    const [event] = await system.eventsOf(order.id);
    const retried = await api().post(`${EVENTS}/${event.id}/retry`).set(ALPHA).expect(202);
    expect(retried.body).toMatchObject({ trigger: 'retry', retryOf: event.id, messageId: event.messageId, status: 'succeeded', responseBody: 'queued for polling' });
    const [requeued] = await receive({ autoAck: true, timeoutMs: 5_000 });
    expect(requeued.messageInfo.messageId).toBe(event.messageId);
    expect(await receive({ autoAck: false, timeoutMs: 0 })).toHaveLength(0);
  });

  it('queues nothing again for a retry once its registration is deleted: the retry is recorded failed', async () => {
    const order = await system.createOrder({ notifications: [{ delivery: 'poll', scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const [message] = await receive({ autoAck: true, timeoutMs: 10_000 });
    expect(message.orderNotification.orderId).toBe(order.id);
    const notificationId = message.orderNotification.notification.id;
    await request(system.ordersHttp).delete(`${ORDERS}/${order.id}/notifications/${notificationId}`).set(ALPHA).expect(204);
    // The deletion reaches notification-service through the bus.
    while (!(await sql.query(`SELECT 1 FROM notifications.disabled_registrations WHERE notification_id = $1`, [notificationId])).rowCount) await sleep(20);

    const [event] = await system.eventsOf(order.id);
    const retried = await api().post(`${EVENTS}/${event.id}/retry`).set(ALPHA).expect(202);
    expect(retried.body).toMatchObject({ trigger: 'retry', retryOf: event.id, status: 'failed', error: 'registration deleted', responseBody: null });
    // A bulk retry of failed deliveries leaves it alone: it would write an attempt no dispatcher takes.
    expect((await api().post(`${EVENTS}/retry`).set(ALPHA).send({ status: 'failed', orderId: order.id }).expect(202)).body).toEqual({ count: 0 });
    expect((await system.eventsOf(order.id, { count: 2, until: () => true })).filter((e) => e.status === 'pending')).toEqual([]);
    expect(await receive({ autoAck: false, timeoutMs: 0 })).toHaveLength(0);
  });

  it('queues deliveries of a subscription with delivery: poll, with its subscriptionId on the Event', async () => {
    const subscription = (await api().post(`${NOTIFICATIONS}/subscriptions`).set(ALPHA)
      .send({ name: 'Polled completions', channels: ['poll-sub'], scope: { state: ['accepted'] }, delivery: 'poll' }).expect(201)).body;
    const order = await system.createOrder({}, 'poll-sub');
    await system.setState(order.id, 'processing');
    await system.setState(order.id, 'accepted');
    const [message] = await receive({ autoAck: true, timeoutMs: 10_000 });
    expect(message.orderNotification).toMatchObject({ orderId: order.id, scope: 'state.accepted', channel: 'poll-sub', notification: { id: subscription.id } });
    const [event] = await system.eventsOf(order.id);
    expect(event).toMatchObject({ subscriptionId: subscription.id, status: 'succeeded', messageId: message.messageInfo.messageId });
    await api().patch(`${NOTIFICATIONS}/subscriptions/${subscription.id}`).set(ALPHA).send({ enabled: false }).expect(200);
    // Disabled, then deleted: a retry queues nothing and says why.
    const disabled = await api().post(`${EVENTS}/${event.id}/retry`).set(ALPHA).expect(202);
    expect(disabled.body).toMatchObject({ status: 'failed', error: 'subscription disabled' });
    await api().delete(`${NOTIFICATIONS}/subscriptions/${subscription.id}`).set(ALPHA).expect(204);
    const deleted = await api().post(`${EVENTS}/${disabled.body.id}/retry`).set(ALPHA).expect(202);
    expect(deleted.body).toMatchObject({ status: 'failed', error: 'subscription deleted' });
    expect(await receive({ autoAck: false, timeoutMs: 0 })).toHaveLength(0);
  });

  it('hands each message to one of several concurrent receivers, and lists the period acknowledged or not', async () => {
    const periodStart = new Date(Date.now() - 1000).toISOString();
    const orders = await Promise.all(Array.from({ length: 4 }, () => system.createOrder({ notifications: [{ delivery: 'poll', scope: { state: ['processing'] } }] })));
    for (const order of orders) await system.setState(order.id, 'processing');
    for (const order of orders) await system.eventsOf(order.id);

    const batches = await Promise.all(Array.from({ length: 4 }, () => receive({ autoAck: false, maxNumberMessages: 10, timeoutMs: 0 })));
    const ids = batches.flat().map((m) => m.messageInfo.messageId);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(4);
    expect(new Set(batches.flat().map((m) => m.orderNotification.orderId))).toEqual(new Set(orders.map((o) => o.id)));
    expect(await receive({ autoAck: false, timeoutMs: 0 }, BETA)).toHaveLength(0);

    await ack(ids.slice(0, 2));
    const periodEnd = new Date(Date.now() + 1000).toISOString();
    const listed = (await api().get(NOTIFICATIONS).query({ periodStart, periodEnd }).set(ALPHA).expect(200)).body.messagesResponses as Array<{ messageInfo: { messageId: string }; acknowledged: boolean }>;
    const ours = new Map(listed.filter((m) => ids.includes(m.messageInfo.messageId)).map((m) => [m.messageInfo.messageId, m.acknowledged]));
    expect(ours).toEqual(new Map(ids.map((id, index) => [id, index < 2])));
    await ack(ids.slice(2));
  });
});

function withoutIdAndNotification(body: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, notification: _notification, ...rest } = body;
  return rest;
}
