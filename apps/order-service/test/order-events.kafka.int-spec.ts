import { ORDER_EVENTS_TOPIC, OrderChangeEvent } from '@ordercast/contracts';
import { Kafka, logLevel } from 'kafkajs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { KafkaBroker } from '../../../test/harness/kafka-broker';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { kafkaBrokers, ReadMessage, readTopic } from '../../../test/support/kafka';
import { ALPHA, createOrder, ORDERS, OrderService, startOrderService, withoutRegistrations } from './order-service.fixture';

/** How many messages the topic holds: with nothing else publishing, what a test added is the difference. */
async function topicSize(brokers: string[]): Promise<number> {
  const admin = new Kafka({ clientId: 'order-events-test', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(ORDER_EVENTS_TOPIC);
    return offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The change events of the given orders, in the order the topic holds them (per partition, so per order). */
function eventsOf(messages: ReadMessage[], orderIds: string[]): OrderChangeEvent[] {
  return messages.filter((message) => message.key !== null && orderIds.includes(message.key)).map((message) => message.value as OrderChangeEvent);
}

async function unsentCount(service: OrderService): Promise<number> {
  const [{ n }] = await service.app.get(DataSource).query<{ n: number }[]>('SELECT count(*)::int AS n FROM orders.outbox WHERE sent_at IS NULL');
  return n;
}

/** Waits until the relay has published everything written so far. */
async function drained(service: OrderService, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await unsentCount(service)) > 0) {
    if (Date.now() > deadline) throw new Error(`the outbox still holds unsent rows after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The integration project's testTimeout does not reach the suites (Jest reads it only globally); a broker restart takes a while.
jest.setTimeout(120_000);

describe('order events on a real Kafka broker', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  describe('publishing', () => {
    const brokers = kafkaBrokers();
    let service: OrderService;
    beforeAll(async () => {
      service = await startOrderService(db.url, { KAFKA_BROKERS: brokers.join(',') });
      // The relay creates the topic before its first publish; after that the topic size can be measured.
      await createOrder(service.http);
      await drained(service);
    });
    afterAll(() => service.close());

    it('publishes exactly one event for a state change, a payment and a shipping update, keyed by order id', async () => {
      const before = await topicSize(brokers);
      const order = await createOrder(service.http);
      const moved = (await request(service.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' })).body;
      const payment = (await request(service.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: 'klarna', amount: 998, state: 'authorized' })).body;
      const shipping = (await request(service.http).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA).send({ adapterId: 'ingrid', price: 49, state: 'intent' })).body;
      const shipped = (await request(service.http).patch(`${ORDERS}/${order.id}/shippings/${shipping.id}`).set(ALPHA).send({ state: 'confirmed' })).body;
      const final = (await request(service.http).get(`${ORDERS}/${order.id}`).set(ALPHA)).body;

      const messages = await readTopic(brokers, ORDER_EVENTS_TOPIC, { expected: before + 5, timeoutMs: 30_000 });
      const mine = messages.filter((message) => message.key === order.id);
      expect(mine).toHaveLength(5);
      expect(new Set(mine.map((message) => message.partition)).size).toBe(1);
      expect(mine.map((message) => message.headers['event-type'])).toEqual([
        'order.created', 'order.state.changed', 'order.payment.changed', 'order.shipping.changed', 'order.shipping.changed',
      ]);

      const [created, stateChanged, paymentAdded, shippingAdded, shippingUpdated] = eventsOf(messages, [order.id]);
      expect(created).toMatchObject({ type: 'order.created', orderId: order.id, merchant: 'alpha', channel: 'web', previous: null, order });

      expect(stateChanged).toMatchObject({ type: 'order.state.changed', change: { kind: 'state', from: 'checkout', to: 'processing' } });
      expect(stateChanged.previous).toEqual(withoutRegistrations(order));
      expect(stateChanged.order).toEqual(moved);

      expect(paymentAdded.change).toEqual({ kind: 'payment', paymentId: payment.id, from: null, to: 'authorized' });
      expect(paymentAdded.previous).toEqual(withoutRegistrations(moved));
      const { notifications: registeredWithPayment, ...paymentFields } = payment;
      expect(registeredWithPayment).toEqual([]);
      expect(paymentAdded.order.payments).toEqual([paymentFields]);

      expect(shippingAdded.previous).toEqual(withoutRegistrations(paymentAdded.order));
      expect(shippingUpdated.change).toEqual({ kind: 'shipping', shippingId: shipping.id, from: 'intent', to: 'confirmed' });
      expect(shippingUpdated.previous).toEqual(withoutRegistrations(shippingAdded.order));
      expect(shippingUpdated.order).toEqual(final);
      expect(shippingUpdated.order.shippings).toEqual([shipped]);

      // Nothing else was published: the relay sent each change exactly once.
      expect(await topicSize(brokers)).toBe(before + 5);
    });

    it('publishes nothing for an update that changes nothing', async () => {
      const order = await createOrder(service.http);
      const payment = (await request(service.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: 'klarna', amount: 10, state: 'intent' })).body;
      await drained(service);
      const before = await topicSize(brokers);
      expect((await request(service.http).patch(`${ORDERS}/${order.id}/payments/${payment.id}`).set(ALPHA).send({ state: 'intent' })).status).toBe(200);
      expect((await request(service.http).patch(`${ORDERS}/${order.id}/payments/${payment.id}`).set(ALPHA).send({ state: 'captured' })).status).toBe(200);
      const messages = await readTopic(brokers, ORDER_EVENTS_TOPIC, { expected: before + 1, timeoutMs: 30_000 });
      const updates = eventsOf(messages, [order.id]).filter((event) => event.type === 'order.payment.changed').map((event) => event.change);
      expect(updates).toEqual([
        { kind: 'payment', paymentId: payment.id, from: null, to: 'intent' },
        { kind: 'payment', paymentId: payment.id, from: 'intent', to: 'captured' },
      ]);
      expect(await topicSize(brokers)).toBe(before + 1);
    });
  });

  describe('when the broker is down', () => {
    let broker: KafkaBroker;
    let service: OrderService;
    let bootedWhileDown: OrderService | undefined;
    beforeAll(async () => {
      broker = await KafkaBroker.start();
      service = await startOrderService(db.url, { KAFKA_BROKERS: broker.brokers.join(',') });
    });
    afterAll(async () => {
      await bootedWhileDown?.close();
      await service.close();
      await broker.destroy();
    });

    it('keeps accepting changes and publishes each exactly once, in order, when the broker is back', async () => {
      const first = await createOrder(service.http);
      await drained(service);

      await broker.stop();

      const set = (http: OrderService['http'], id: string, currentStatus: string) =>
        request(http).put(`${ORDERS}/${id}/state`).set(ALPHA).send({ currentStatus });
      expect((await set(service.http, first.id, 'processing')).status).toBe(200);
      const payment = await request(service.http).post(`${ORDERS}/${first.id}/payments`).set(ALPHA).send({ adapterId: 'klarna', amount: 998, state: 'authorized' });
      expect(payment.status).toBe(201);
      expect((await request(service.http).patch(`${ORDERS}/${first.id}/payments/${payment.body.id}`).set(ALPHA).send({ state: 'captured' })).status).toBe(200);
      expect((await set(service.http, first.id, 'accepted')).status).toBe(200);

      // A second instance boots and takes orders while Kafka is still down.
      bootedWhileDown = await startOrderService(db.url, { KAFKA_BROKERS: broker.brokers.join(',') });
      const second = await createOrder(bootedWhileDown.http);
      expect((await set(bootedWhileDown.http, second.id, 'processing')).status).toBe(200);
      expect((await set(service.http, second.id, 'removed')).status).toBe(409);
      expect((await set(service.http, second.id, 'checkout')).status).toBe(200);
      expect((await set(bootedWhileDown.http, first.id, 'completed')).status).toBe(200);

      // Large orders, so the backlog is far beyond what Kafka accepts in one record batch (1 MB).
      const bigCart = { items: Array.from({ length: 800 }, (_, i) => ({ reference: `SKU-${i}`, name: 'x'.repeat(200), quantity: 1, unitPrice: 1 })) };
      const big = await Promise.all(Array.from({ length: 4 }, () => createOrder(service.http, { cart: bigCart })));
      for (const order of big) expect((await set(service.http, order.id, 'processing')).status).toBe(200);

      const health = await request(service.http).get('/health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: 'error', info: { database: { status: 'up' } }, error: { bus: { status: 'down' } } });
      expect(await unsentCount(service)).toBe(8 + 8);

      await broker.restart();

      const total = 1 + 5 + 3 + 8;
      const messages = await readTopic(broker.brokers, ORDER_EVENTS_TOPIC, { expected: total, timeoutMs: 60_000 });
      const events = eventsOf(messages, [first.id, second.id, ...big.map((order) => order.id)]);
      expect(events).toHaveLength(total);
      expect(new Set(events.map((event) => event.id)).size).toBe(total);
      expect(events.filter((event) => event.orderId === first.id).map((event) => [event.type, event.order.state.currentStatus])).toEqual([
        ['order.created', 'checkout'],
        ['order.state.changed', 'processing'],
        ['order.payment.changed', 'processing'],
        ['order.payment.changed', 'processing'],
        ['order.state.changed', 'accepted'],
        ['order.state.changed', 'completed'],
      ]);
      expect(events.filter((event) => event.orderId === second.id).map((event) => event.order.state.currentStatus)).toEqual(['checkout', 'processing', 'checkout']);
      for (const order of big) {
        const bigEvents = events.filter((event) => event.orderId === order.id);
        expect(bigEvents.map((event) => event.order.state.currentStatus)).toEqual(['checkout', 'processing']);
        expect(bigEvents[1].order.cart.items).toHaveLength(800);
      }

      // A row is marked sent only after its publish, so with nothing unsent the topic holds all the relay will ever publish.
      await drained(service);
      expect(await topicSize(broker.brokers)).toBe(total);
      expect((await request(service.http).get('/health')).body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, bus: { status: 'up' } } });
    });
  });
});
