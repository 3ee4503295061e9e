import type { Order } from '@ordercast/contracts';
import request from 'supertest';
import type { Server } from 'node:http';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import { apiRoutes, fill } from './support/routes';
import {
  ALPHA, allEvents, BETA, CHANNELS, createOrder, eventually, hook, InProcessService, NOTIFICATIONS, ORDERS, setState,
  startNotificationService, startOrderService, SUBSCRIPTIONS, topicPrefix,
} from './support/services';

jest.setTimeout(60_000);

/** Planted in every piece of merchant alpha's data; no response to merchant beta may contain it. */
const MARKER = 'alpha-marker';

type Expectation =
  /** Another merchant's id: 403 or 404, as if it did not exist. */
  | { kind: 'foreign' }
  /** A list or search: 200, and nothing of alpha's in it. */
  | { kind: 'own-view' }
  /** Creates or replaces something in beta's own namespace; alpha's data is checked unchanged afterwards. */
  | { kind: 'own-write' }
  /** Touches nothing of any merchant (documented in docs/guarantees.md). */
  | { kind: 'merchant-free' }
  /** Service-wide, for an operator token only: any merchant's token is refused with 403. */
  | { kind: 'operator' };

interface Probe {
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  expect: Expectation;
}

/**
 * Merchant beta, with its own valid token, goes after everything merchant alpha has on every
 * /api route of both services (enumerated from the HTTP router, so a new route without a probe
 * fails this suite): it gets 403 or 404 for alpha's ids, empty views, and alpha's data is
 * byte-for-byte the same afterwards. Alpha's token never works for beta's merchant header.
 */
describe('tenancy: one merchant cannot reach another merchant\'s data through any endpoint', () => {
  let db: TestDatabase;
  let sink: RecordingSink;
  let orders: InProcessService;
  let notifications: InProcessService;
  const ids: Record<string, string> = {};
  let order: Order;

  beforeAll(async () => {
    db = await createTestDatabase();
    sink = await RecordingSink.start((r) => (r.path.includes('fail') ? { status: 500, body: `${MARKER} failure` } : { status: 200, body: `${MARKER} ok` }));
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('tenancy'), RETRY_SCHEDULE: '50ms' };
    orders = await startOrderService(env);
    notifications = await startNotificationService(env);

    // Everything merchant alpha can own.
    await request(orders.http).put(`${CHANNELS}/web/notifications`).set(ALPHA)
      .send([hook(sink.url(`/${MARKER}/channel`), { state: ['completed'] }, { reference: `${MARKER}-channel`, headers: { 'X-API-Key': `${MARKER}-key` } })]).expect(200);
    order = await createOrder(orders.http, {
      reference: `${MARKER}-order`,
      notifications: [
        hook(sink.url(`/${MARKER}/ok`), { state: ['processing'] }, { reference: `${MARKER}-ok`, headers: { Authorization: `Bearer ${MARKER}-token` } }),
        hook(sink.url(`/${MARKER}/fail`), { state: ['processing'] }, { reference: `${MARKER}-fail` }),
      ],
    });
    const payment = await request(orders.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: `${MARKER}-pay`, amount: 100, state: 'authorized' }).expect(201);
    const shipping = await request(orders.http).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA).send({ adapterId: `${MARKER}-ship`, price: 10, state: 'processing' }).expect(201);
    const subscription = await request(notifications.http).post(SUBSCRIPTIONS).set(ALPHA)
      .send({ name: `${MARKER}-subscription`, scope: { state: ['processing', 'accepted'] }, delivery: 'poll' }).expect(201);
    await setState(orders.http, order.id, 'processing');

    const events = await waitForSettledEvents();
    const dead = events.find((e) => e.status === 'dead');
    const pollMessages = await eventually(async () => (await periodList(ALPHA)).length > 0, 15_000, () => 'a poll message for alpha')
      .then(() => periodList(ALPHA));
    Object.assign(ids, {
      id: order.id, orderId: order.id, paymentId: payment.body.id, shippingId: shipping.body.id, notificationId: order.notifications[0].id,
      channel: 'web', eventId: dead!.id, messageId: pollMessages[0].messageInfo.messageId, subscriptionId: subscription.body.id,
    });
  });

  afterAll(async () => {
    await notifications?.close();
    await orders?.close();
    await sink?.close();
    await db?.drop();
  });

  async function waitForSettledEvents(): Promise<EventRecord[]> {
    let events: EventRecord[] = [];
    await eventually(async () => {
      events = await allEvents(notifications.http, ALPHA, { orderId: order.id });
      return events.some((e) => e.status === 'dead') && events.every((e) => e.status !== 'pending');
    }, 20_000, () => JSON.stringify(events.map((e) => [e.scope, e.status])));
    return events;
  }

  async function periodList(headers: Record<string, string>): Promise<{ messageInfo: { messageId: string }; acknowledged: boolean }[]> {
    const now = new Date();
    const response = await request(notifications.http).get(NOTIFICATIONS).set(headers)
      .query({ periodStart: new Date(now.getTime() - 3_600_000).toISOString(), periodEnd: new Date(now.getTime() + 3_600_000).toISOString() }).expect(200);
    return response.body.messagesResponses;
  }

  /** What alpha sees of its own data, through every read the API offers. */
  async function alphaView(): Promise<string> {
    const reads = await Promise.all([
      request(orders.http).get(`${ORDERS}/${order.id}`).set(ALPHA),
      request(orders.http).get(`${ORDERS}/${order.id}/notifications`).set(ALPHA),
      request(orders.http).get(`${CHANNELS}/web/notifications`).set(ALPHA),
      request(notifications.http).get(SUBSCRIPTIONS).set(ALPHA),
      request(notifications.http).get(`${SUBSCRIPTIONS}/${ids.subscriptionId}`).set(ALPHA),
      request(notifications.http).get(`${NOTIFICATIONS}/events/${ids.eventId}`).set(ALPHA),
    ]);
    for (const read of reads) expect(read.status).toBe(200);
    const events = await allEvents(notifications.http, ALPHA);
    return JSON.stringify([...reads.map((read) => read.body), events, await periodList(ALPHA)]);
  }

  const ORDER_PROBES: Record<string, Probe> = {
    'POST /api/v0/checkout/orders': { headers: { 'x-channel': 'web' }, body: { currency: 'SEK', cart: { items: [{ reference: 'b', name: 'B', quantity: 1, unitPrice: 1 }] } }, expect: { kind: 'own-write' } },
    'GET /api/v0/checkout/orders/:id': { expect: { kind: 'foreign' } },
    'PUT /api/v0/checkout/orders/:id/state': { body: { currentStatus: 'accepted' }, expect: { kind: 'foreign' } },
    'POST /api/v0/checkout/orders/:id/payments': { body: { adapterId: 'beta', amount: 1, state: 'captured' }, expect: { kind: 'foreign' } },
    'PATCH /api/v0/checkout/orders/:id/payments/:paymentId': { body: { state: 'refunded' }, expect: { kind: 'foreign' } },
    'POST /api/v0/checkout/orders/:id/shippings': { body: { adapterId: 'beta', state: 'confirmed' }, expect: { kind: 'foreign' } },
    'PATCH /api/v0/checkout/orders/:id/shippings/:shippingId': { body: { state: 'failed' }, expect: { kind: 'foreign' } },
    'POST /api/v0/checkout/orders/:id/notifications': { body: hook('https://beta.example.com/steal', { state: ['completed'] }), expect: { kind: 'foreign' } },
    'GET /api/v0/checkout/orders/:id/notifications': { expect: { kind: 'foreign' } },
    'DELETE /api/v0/checkout/orders/:id/notifications/:notificationId': { expect: { kind: 'foreign' } },
    'GET /api/v0/checkout/channels/:channel/notifications': { expect: { kind: 'own-view' } },
    'PUT /api/v0/checkout/channels/:channel/notifications': { body: [hook('https://beta.example.com/channel', { state: ['completed'] })], expect: { kind: 'own-write' } },
    // Service-wide: the changes the bus refused, of every merchant, so only an operator lists them.
    'GET /api/v0/checkout/operator/parked-changes': { expect: { kind: 'operator' } },
  };

  const NOTIFICATION_PROBES: Record<string, Probe> = {
    'GET /api/v0/checkout/notifications/events': { expect: { kind: 'own-view' } },
    'POST /api/v0/checkout/notifications/events/retry': { expect: { kind: 'own-view' } },
    'GET /api/v0/checkout/notifications/events/:eventId': { expect: { kind: 'foreign' } },
    'POST /api/v0/checkout/notifications/events/:eventId/retry': { expect: { kind: 'foreign' } },
    'POST /api/v0/checkout/notifications/orders/:orderId/trigger': { body: {}, expect: { kind: 'foreign' } },
    'GET /api/v0/checkout/notifications/subscriptions': { expect: { kind: 'own-view' } },
    'POST /api/v0/checkout/notifications/subscriptions': { body: { name: 'beta', scope: { state: ['accepted'] }, delivery: 'poll' }, expect: { kind: 'own-write' } },
    'GET /api/v0/checkout/notifications/subscriptions/:id': { expect: { kind: 'foreign' } },
    'PATCH /api/v0/checkout/notifications/subscriptions/:id': { body: { enabled: false }, expect: { kind: 'foreign' } },
    'DELETE /api/v0/checkout/notifications/subscriptions/:id': { expect: { kind: 'foreign' } },
    'GET /api/v0/checkout/notifications/receive': { query: { maxNumberMessages: '10', timeoutMs: '0', autoAck: 'true' }, expect: { kind: 'own-view' } },
    'POST /api/v0/checkout/notifications/ack': { expect: { kind: 'own-view' } },
    'GET /api/v0/checkout/notifications': { expect: { kind: 'own-view' } },
    // Service-wide: the JWS signing key is one for every merchant, so only an operator rotates it.
    'POST /api/v0/checkout/notifications/signing-keys/rotate': { expect: { kind: 'operator' } },
    // Service-wide: the changes ingest parked, of every merchant, so only an operator lists them.
    'GET /api/v0/checkout/notifications/operator/parked-changes': { expect: { kind: 'operator' } },
    'POST /api/v0/checkout/notifications/secrets': { expect: { kind: 'merchant-free' } },
    'GET /api/v0/checkout/notifications/.well-known/jwks.json': { expect: { kind: 'merchant-free' } },
  };

  /** Probes that need ids known only after set-up. */
  function probeFor(probes: Record<string, Probe>, route: string): Probe {
    const probe = probes[route];
    if (route.endsWith('/events')) return { ...probe, query: { orderId: ids.orderId } };
    if (route.endsWith('/events/retry')) return { ...probe, body: { status: 'dead', orderId: ids.orderId } };
    if (route.endsWith('/ack')) return { ...probe, body: { messageInfos: [{ messageIdentifier: ids.messageId }] } };
    if (route === 'GET /api/v0/checkout/notifications') {
      const now = Date.now();
      return { ...probe, query: { periodStart: new Date(now - 3_600_000).toISOString(), periodEnd: new Date(now + 3_600_000).toISOString() } };
    }
    return probe;
  }

  const services = () => [
    { name: 'order-service', http: orders.http, app: orders.app, probes: ORDER_PROBES, values: ids },
    { name: 'notification-service', http: notifications.http, app: notifications.app, probes: NOTIFICATION_PROBES, values: { ...ids, id: ids.subscriptionId } },
  ];

  function send(http: Server, route: string, values: Record<string, string>, headers: Record<string, string>, probe?: Probe) {
    const { method, path } = fill(route, values);
    const call = request(http)[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path).set({ ...probe?.headers, ...headers });
    if (probe?.query) call.query(probe.query);
    return probe?.body === undefined ? call : call.send(probe.body as object);
  }

  it('has a probe for every /api route of both services', () => {
    for (const service of services()) expect(apiRoutes(service.app)).toEqual(Object.keys(service.probes).sort());
  });

  it("gives merchant beta 403 or 404 for alpha's ids, nothing of alpha's in any view, and leaves alpha's data as it was", async () => {
    const before = await alphaView();
    for (const service of services()) {
      for (const route of Object.keys(service.probes)) {
        const probe = probeFor(service.probes, route);
        const response = await send(service.http, route, service.values, BETA, probe);
        const where = `${service.name} ${route} → ${response.status} ${JSON.stringify(response.body)}`;
        expect({ where, leaked: JSON.stringify(response.body).includes(MARKER) || response.text.includes(MARKER) }).toEqual({ where, leaked: false });
        if (probe.expect.kind === 'foreign') expect({ where, status: [403, 404].includes(response.status) }).toEqual({ where, status: true });
        else if (probe.expect.kind === 'operator') expect({ where, status: response.status }).toEqual({ where, status: 403 });
        else expect({ where, status: response.status < 300 }).toEqual({ where, status: true });
        if (route.endsWith('/events')) expect(response.body.data).toEqual([]);
        if (route.endsWith('/events/retry')) expect(response.body).toEqual({ count: 0 });
        if (route.endsWith('/receive')) expect(response.body.messages).toEqual([]);
        if (route.endsWith('/ack')) expect(response.body.ackFailedMessages).toEqual([{ messageIdentifier: ids.messageId, reason: 'unknown message' }]);
        if (route === 'GET /api/v0/checkout/notifications') expect(response.body.messagesResponses).toEqual([]);
        if (route.endsWith('/subscriptions') && route.startsWith('GET')) expect(response.body).toEqual([]);
        if (route.startsWith('GET /api/v0/checkout/channels')) expect(response.body).toEqual([]);
      }
    }
    // Whatever beta could set off (a state change, a retry, a trigger) first writes a row of alpha's
    // that this view reads (the order, an Event), so nothing needs time to show.
    expect(await alphaView()).toEqual(before);

    // Beta's merchant-wide subscription (made above) never matches alpha's orders.
    await setState(orders.http, order.id, 'accepted');
    await eventually(async () => (await allEvents(notifications.http, ALPHA, { orderId: order.id })).length > 0 && (await periodList(ALPHA)).length === 2, 15_000, () => 'alpha sees the change');
    expect(sink.received().filter((r) => r.path.includes('beta'))).toEqual([]);
    const received = await request(notifications.http).get(`${NOTIFICATIONS}/receive`).set(BETA).query({ timeoutMs: '500' }).expect(200);
    expect(received.body.messages).toEqual([]);
    expect(await periodList(BETA)).toEqual([]);
  });

  it("refuses alpha's token for merchant beta (403), and every /api route without a token (401) or merchant (400; 403 on operator routes, which need no merchant but refuse a merchant's token)", async () => {
    const alphaTokenAsBeta = { 'x-merchant': 'beta', authorization: ALPHA.authorization };
    for (const service of services()) {
      for (const route of Object.keys(service.probes)) {
        if (route.includes('.well-known')) continue;
        const probe = probeFor(service.probes, route);
        const results = await Promise.all([
          send(service.http, route, service.values, alphaTokenAsBeta, probe),
          send(service.http, route, service.values, { 'x-merchant': 'beta' }, probe),
          send(service.http, route, service.values, { authorization: BETA.authorization }, probe),
        ]);
        const withoutMerchant = probeFor(service.probes, route).expect.kind === 'operator' ? 403 : 400;
        expect({ route, statuses: results.map((r) => r.status) }).toEqual({ route, statuses: [403, 401, withoutMerchant] });
        for (const result of results) expect(result.text).not.toContain(MARKER);
      }
    }
  });
});
