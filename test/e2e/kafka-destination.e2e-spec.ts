import request from 'supertest';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { verifyStandardWebhook } from '../../apps/notification-service/src/signing/standard-webhooks';
import { KafkaBroker } from '../harness/kafka-broker';
import { createTopic, readTopic, uniqueTopic } from '../support/kafka';
import { ALPHA, NOTIFICATIONS, ORDERS, startSystem, System } from '../support/system';

jest.setTimeout(180_000);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SASL_PASSWORD = 'kafka-sasl-pa55word';

/**
 * `delivery: kafka` through both services to a second real Kafka broker, the merchant's own: the
 * record is read back with a consumer, and the broker is stopped to make the destination fail.
 */
describe('kafka destinations on a merchant broker', () => {
  let system: System;
  let merchantBroker: KafkaBroker;

  beforeAll(async () => {
    merchantBroker = await KafkaBroker.start();
    // Retries far enough apart that the broker can be restarted while the chain is still going.
    system = await startSystem('in-process', { RETRY_SCHEDULE: '300ms,600ms,1s,2s,4s,8s,8s,8s', CIRCUIT_COOLDOWN_MS: '500' });
  });

  afterAll(async () => {
    await system?.close();
    await merchantBroker?.destroy();
  });

  const destination = (topic: string, extra: Record<string, unknown> = {}) => ({ brokers: merchantBroker.brokers, topic, ...extra });

  async function completeOrder(notifications: Record<string, unknown>[]) {
    const order = await system.createOrder({ notifications });
    for (const state of ['processing', 'accepted', 'completed']) await system.setState(order.id, state);
    return order;
  }

  it('produces the webhook body to the topic with the order id as key and the webhook headers, and records partition and offset', async () => {
    const topic = uniqueTopic('merchant.orders');
    await createTopic(merchantBroker.brokers, topic, 2);
    const order = await completeOrder([{ reference: 'erp-topic', delivery: 'kafka', kafka: destination(topic), secret: SECRET, scope: { state: ['completed'] } }]);

    const [record] = await readTopic(merchantBroker.brokers, topic, { expected: 1 });
    const [event] = await system.eventsOf(order.id);

    expect(record.key).toBe(order.id);
    expect(record.value).toMatchObject({ id: event.messageId, type: 'order.state.changed', scope: 'state.completed', orderId: order.id, notification: { reference: 'erp-topic' } });
    expect(record.headers).toMatchObject({ 'webhook-id': event.messageId, 'content-type': 'application/json' });
    expect(verifyStandardWebhook({ secret: SECRET, messageId: event.messageId, timestamp: Number(record.headers['webhook-timestamp']), body: record.raw, signature: record.headers['webhook-signature'] })).toBe(true);
    expect(record.headers['x-jws-signature']).toEqual(expect.any(String));

    expect(event).toMatchObject({ status: 'succeeded', statusCode: null, attempt: 1, request: { url: `kafka://${merchantBroker.brokers.join(',')}/${topic}` } });
    expect(JSON.parse(event.responseBody as string)).toEqual({ partition: record.partition, offset: record.offset });
    expect(event.request.headers['webhook-id']).toBe(event.messageId);

    // An operator retry produces the record again, with the same webhook-id to deduplicate on.
    await request(system.notificationsHttp).post(`${NOTIFICATIONS}/events/${event.id}/retry`).set(ALPHA).expect(202);
    await system.eventsOf(order.id, { count: 2, until: (e) => e.status === 'succeeded' });
    const records = await readTopic(merchantBroker.brokers, topic, { expected: 2 });
    expect(records.map((r) => [r.key, r.headers['webhook-id']])).toEqual([[order.id, event.messageId], [order.id, event.messageId]]);
  });

  it('delivers a subscription to a topic too', async () => {
    const topic = uniqueTopic('merchant.subscription');
    await createTopic(merchantBroker.brokers, topic, 1);
    const created = await request(system.notificationsHttp).post(`${NOTIFICATIONS}/subscriptions`).set(ALPHA)
      .send({ name: 'every completed order to Kafka', scope: { state: ['completed'] }, delivery: 'kafka', kafka: destination(topic) });
    expect(created.status).toBe(201);
    try {
      const order = await completeOrder([]);
      const [record] = await readTopic(merchantBroker.brokers, topic, { expected: 1 });
      expect(record.key).toBe(order.id);
      expect(record.value).toMatchObject({ orderId: order.id, scope: 'state.completed', notification: { id: created.body.id } });
    } finally {
      await request(system.notificationsHttp).patch(`${NOTIFICATIONS}/subscriptions/${created.body.id}`).set(ALPHA).send({ enabled: false });
    }
  });

  it('masks the SASL password in responses and refuses a destination without brokers or with a bad topic', async () => {
    const order = await system.createOrder();
    const registered = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send({
      delivery: 'kafka', scope: { state: ['declined'] },
      kafka: destination('orders', { ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'ordercast', password: SASL_PASSWORD } }),
    });
    expect(registered.status).toBe(201);
    expect(registered.body.kafka).toEqual({ brokers: merchantBroker.brokers, topic: 'orders', ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'ordercast', password: '********' } });
    const shown = await request(system.ordersHttp).get(`${ORDERS}/${order.id}`).set(ALPHA);
    expect(JSON.stringify(shown.body)).not.toContain(SASL_PASSWORD);

    for (const kafka of [{ brokers: [], topic: 'orders' }, destination('bad topic!'), { brokers: ['no-port'], topic: 'orders' }]) {
      const refused = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send({ delivery: 'kafka', scope: { state: ['declined'] }, kafka });
      expect(refused.status).toBe(400);
    }
    const missing = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send({ delivery: 'kafka', scope: { state: ['declined'] } });
    expect(missing.status).toBe(400);
    const stored = await request(system.ordersHttp).get(`${ORDERS}/${order.id}/notifications`).set(ALPHA);
    expect(stored.body).toHaveLength(1);
  });

  it('retries on the schedule while the broker is down, and delivers once it is back', async () => {
    const topic = uniqueTopic('merchant.outage');
    await createTopic(merchantBroker.brokers, topic, 1);
    await merchantBroker.stop();
    const order = await completeOrder([{ delivery: 'kafka', kafka: destination(topic), scope: { state: ['completed'] } }]);

    const failing = await system.eventsOf(order.id, { count: 2, until: (event) => event.status === 'failed' });
    const first = failing.find((event) => event.attempt === 1) as EventRecord;
    expect(first.error).toMatch(/^kafka: /);
    expect(first.responseBody).toBeNull();

    await merchantBroker.restart();
    const events = await system.eventsOf(order.id, { until: (event) => event.status === 'succeeded', timeoutMs: 60_000 });
    const succeeded = events.find((event) => event.status === 'succeeded') as EventRecord;
    expect(succeeded.attempt).toBeGreaterThan(2);
    expect(succeeded.messageId).toBe(first.messageId);
    const [record] = await readTopic(merchantBroker.brokers, topic, { expected: 1 });
    expect(record.headers['webhook-id']).toBe(first.messageId);
  });
});
