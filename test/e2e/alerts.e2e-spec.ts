import request from 'supertest';
import { verifyStandardWebhook } from '../../apps/notification-service/src/signing/standard-webhooks';
import { EndpointAlerts } from '../../apps/notification-service/src/alerts/endpoint-alerts';
import type { EndpointHealthReport } from '../../apps/notification-service/src/alerts/endpoint-health';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { ALPHA, BETA, EVENTS, NOTIFICATIONS, startSystem, System } from '../support/system';
import { ReceivedRequest, WebhookSink } from '../support/webhook-sink';

jest.setTimeout(120_000);

const SUBSCRIPTIONS = `${NOTIFICATIONS}/subscriptions`;
const ENDPOINTS = `${NOTIFICATIONS}/endpoints`;
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const EVERY_ALERT = ['endpoint.failing', 'endpoint.recovered', 'endpoint.disabled', 'delivery.dead'];

interface AlertDelivery {
  id: string;
  type: string;
  merchant: string;
  endpoint: { url: string | null; notificationId: string | null; subscriptionId: string | null };
  details: Record<string, unknown>;
}

/**
 * Operational alerts through both services and the real Kafka broker. The failing receivers are
 * one sink and the alert receivers another: breakers are per merchant and origin, so an alert
 * endpoint on the failing origin would be held back with it.
 */
describe('operational alerts through the kafka bus', () => {
  let system: System;
  let receivers: WebhookSink;
  let alphaAlerts: string;

  beforeAll(async () => {
    system = await startSystem('kafka', {
      CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_COOLDOWN_MS: '1000', RETRY_SCHEDULE: '50ms,50ms,50ms,50ms,50ms,50ms', RESULT_FLUSH_MS: '5',
    });
    receivers = await WebhookSink.start();
    const api = request(system.notificationsHttp);
    alphaAlerts = ((await api.post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'Ops alerts', events: EVERY_ALERT, url: receivers.url('/alpha/alerts'), secret: SECRET }).expect(201)).body as { id: string }).id;
    await request(system.notificationsHttp).post(SUBSCRIPTIONS).set(BETA).send({ name: 'Ops alerts', events: EVERY_ALERT, url: receivers.url('/beta/alerts') }).expect(201);
    await request(system.notificationsHttp).post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'Orders', scope: { state: ['processing'] }, url: receivers.url('/alpha/orders') }).expect(201);
    await request(system.notificationsHttp).post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'Disabled targets, polled', events: ['endpoint.disabled'], delivery: 'poll' }).expect(201);
  });

  afterAll(async () => {
    await system?.close();
    await receivers?.close();
  });

  const api = () => request(system.notificationsHttp);
  const alertsOf = (type: string): AlertDelivery[] =>
    receivers.received('/alpha/alerts').map((r) => JSON.parse(r.body) as AlertDelivery).filter((alert) => alert.type === type);
  async function waitForAlert(type: string, count = 1): Promise<ReceivedRequest> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const found = receivers.received('/alpha/alerts').filter((r) => (JSON.parse(r.body) as AlertDelivery).type === type);
      if (found.length >= count) return found[count - 1];
      if (Date.now() > deadline) throw new Error(`no ${type} alert within 30 s`);
      await receivers.waitFor(receivers.received('/alpha/alerts').length + 1, Math.max(1, deadline - Date.now()), '/alpha/alerts').catch(() => undefined);
    }
  }
  async function processingOrder(path: string): Promise<string> {
    const order = await system.createOrder({ notifications: [{ url: system.sink.url(path), scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    return order.id;
  }

  it('refuses unknown alert types and order selectors on an alert subscription, storing nothing', async () => {
    const before = (await api().get(SUBSCRIPTIONS).set(ALPHA).expect(200)).body as unknown[];
    const unknown = await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'x', events: ['endpoint.exploded'], url: receivers.url('/x') }).expect(400);
    expect(unknown.body.message).toEqual(['events: each event must be one of endpoint.failing, endpoint.recovered, endpoint.disabled, delivery.dead']);
    const mixed = await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'x', events: ['delivery.dead'], scope: { state: ['completed'] }, url: receivers.url('/x') }).expect(400);
    expect(mixed.body.message).toEqual(['scope is not used by an alert subscription (one with events)']);
    await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'x', events: [], url: receivers.url('/x') }).expect(400);
    await api().post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'x', url: receivers.url('/x') }).expect(400);
    expect((await api().get(SUBSCRIPTIONS).set(ALPHA).expect(200)).body).toEqual(before);
  });

  it('describes alert subscriptions and the endpoints view in OpenAPI', async () => {
    const docs = (await api().get('/api/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(docs.paths[ENDPOINTS].get.responses['200']).toEqual(expect.objectContaining({ content: expect.anything() }));
    expect(docs.components.schemas.CreateSubscriptionDto.properties.events).toMatchObject({ type: 'array', items: { enum: EVERY_ALERT } });
    expect(docs.components.schemas.EndpointHealthResponse.properties).toHaveProperty('breaker');
  });

  it('sends one signed endpoint.failing when the breaker opens, however many deliveries fail, and one endpoint.recovered when it closes', async () => {
    system.sink.respond('/erp/broken', 500);
    const orders = await Promise.all([1, 2, 3].map(() => processingOrder('/erp/broken')));
    const received = await waitForAlert('endpoint.failing');

    const failing = JSON.parse(received.body) as AlertDelivery;
    expect(failing).toMatchObject({ type: 'endpoint.failing', merchant: 'alpha', endpoint: { url: new URL(system.sink.url()).origin, subscriptionId: null }, details: { statusCode: 500 } });
    expect(failing.id).toBe(received.headers['webhook-id']);
    expect(verifyStandardWebhook({
      secret: SECRET, messageId: received.headers['webhook-id'] as string, timestamp: Number(received.headers['webhook-timestamp']), body: received.body,
      signature: received.headers['webhook-signature'] as string,
    })).toBe(true);
    expect(received.headers['x-jws-signature']).toEqual(expect.any(String));

    const open = (await api().get(ENDPOINTS).set(ALPHA).expect(200)).body as EndpointHealthReport;
    expect(open.data.find((e) => e.url === new URL(system.sink.url()).origin)).toMatchObject({ breaker: 'open', lastFailure: { statusCode: 500 } });

    // A probe after the cool-down fails too (half-open, open again): still the same outage, no second alert.
    const failed = (e: EventRecord) => e.notificationId !== null && (e.status === 'failed' || e.status === 'dead');
    const failuresOf = async () => (await Promise.all(orders.map((orderId) => system.eventsOf(orderId, { until: () => true })))).flat().filter(failed);
    for (const started = Date.now(); (await failuresOf()).length < 3;) {
      if (Date.now() - started > 30_000) throw new Error('no third failed attempt within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    system.sink.respond('/erp/broken', 200);
    await waitForAlert('endpoint.recovered');
    for (const orderId of orders) await system.eventsOf(orderId, { count: 2, until: (e) => e.status === 'succeeded' });
    const failures = await failuresOf();
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(alertsOf('endpoint.failing')).toHaveLength(1);
    expect(alertsOf('endpoint.recovered')).toHaveLength(1);

    const alertEvents = (await api().get(EVENTS).query({ scope: 'endpoint.failing' }).set(ALPHA).expect(200)).body.data as EventRecord[];
    expect(alertEvents).toEqual([expect.objectContaining({ subscriptionId: alphaAlerts, type: 'endpoint.failing', status: 'succeeded', messageId: failing.id })]);
    const health = (await api().get(ENDPOINTS).set(ALPHA).expect(200)).body as EndpointHealthReport;
    const sink = health.data.find((e) => e.url === new URL(system.sink.url()).origin);
    expect(sink).toMatchObject({ breaker: 'closed', lastFailure: { statusCode: 500 } });
    expect(sink?.succeeded).toBeGreaterThanOrEqual(3);
    expect(sink?.failed).toBe(failures.length);
    expect(health.alerts.map((a) => a.type).sort()).toEqual(['endpoint.failing', 'endpoint.recovered']);
  });

  it('sends delivery.dead for a delivery out of attempts (a reopened breaker within the period sends no second failing)', async () => {
    system.sink.respond('/erp/dead', 500);
    const orderId = await processingOrder('/erp/dead');
    const received = JSON.parse((await waitForAlert('delivery.dead')).body) as AlertDelivery;
    const events = await system.eventsOf(orderId, { until: (e) => e.status === 'dead' });
    const dead = events.find((e) => e.status === 'dead') as EventRecord;
    expect(received).toMatchObject({ endpoint: { notificationId: dead.notificationId }, details: { eventId: dead.id, orderId, statusCode: 500 } });
    expect(alertsOf('endpoint.failing')).toHaveLength(1);
    const metrics = (await api().get('/metrics').expect(200)).text;
    expect(metrics).toContain('ordercast_alerts_total{type="endpoint.failing",outcome="sent"} 1');
    expect(metrics).toMatch(/ordercast_alerts_total\{type="endpoint.failing",outcome="debounced"\} [1-9]/);
  });

  it('sends endpoint.disabled when a target answers 410 Gone', async () => {
    system.sink.respond('/erp/gone', 410);
    const orderId = await processingOrder('/erp/gone');
    const received = JSON.parse((await waitForAlert('endpoint.disabled')).body) as AlertDelivery;
    const events = await system.eventsOf(orderId, { until: (e) => e.notificationId !== null && e.statusCode === 410 });
    const gone = events.find((e) => e.notificationId !== null && e.statusCode === 410) as EventRecord;
    expect(received).toMatchObject({ endpoint: { notificationId: gone.notificationId }, details: { statusCode: 410, orderId } });
    const polled = await api().get(`${NOTIFICATIONS}/receive`).query({ maxNumberMessages: 10, timeoutMs: 5000 }).set(ALPHA).expect(200);
    expect(polled.body.messages.map((m: { orderNotification: AlertDelivery }) => m.orderNotification)).toEqual([
      expect.objectContaining({ type: 'endpoint.disabled', endpoint: received.endpoint, details: received.details }),
    ]);
    // The queued alert is what the OpenAPI description documents for the poll queue's alert bodies, field for field.
    const schemas = (await api().get('/api/docs-json').expect(200)).body.components.schemas as Record<string, { properties: object; required: string[] }>;
    const documented = (name: string) => ({ fields: Object.keys(schemas[name].properties).sort(), required: [...schemas[name].required].sort() });
    const queued = polled.body.messages[0].orderNotification as AlertDelivery;
    expect(documented('AlertBodyResponse')).toEqual({ fields: Object.keys(queued).sort(), required: Object.keys(queued).sort() });
    expect(documented('AlertEndpointResponse')).toEqual({ fields: Object.keys(queued.endpoint).sort(), required: Object.keys(queued.endpoint).sort() });
  });

  it('keeps alerts and order changes apart, and tells another merchant nothing', async () => {
    expect(alertsOf('delivery.dead')).toHaveLength(1);
    expect(alertsOf('endpoint.disabled')).toHaveLength(1);
    expect(receivers.received('/alpha/alerts').every((r) => EVERY_ALERT.includes((JSON.parse(r.body) as AlertDelivery).type))).toBe(true);
    const orderBodies = receivers.received('/alpha/orders').map((r) => JSON.parse(r.body) as { type: string });
    expect(orderBodies.length).toBeGreaterThanOrEqual(5);
    expect(orderBodies.every((body) => body.type === 'order.state.changed')).toBe(true);

    expect(receivers.received('/beta/alerts')).toEqual([]);
    for (const type of EVERY_ALERT) expect((await api().get(EVENTS).query({ scope: type }).set(BETA).expect(200)).body.data).toEqual([]);
    const beta = (await api().get(ENDPOINTS).set(BETA).expect(200)).body as EndpointHealthReport;
    expect(beta).toMatchObject({ data: [], alerts: [] });
    await api().get(ENDPOINTS).query({ windowMinutes: 0 }).set(ALPHA).expect(400);
    await api().get(ENDPOINTS).query({ windowMinutes: 1441 }).set(ALPHA).expect(400);
  });

  it('raises no alert about an alert delivery that dies: a broken alert endpoint does not loop', async () => {
    receivers.respond('/beta/alerts', 500);
    system.sink.respond('/beta/gone', 410);
    const betaOrder = await request(system.ordersHttp).post('/api/v0/checkout/orders').set({ ...BETA, 'x-channel': 'web' })
      .send({ currency: 'SEK', cart: { items: [{ reference: 'sku-1', name: 'Mug', quantity: 1, unitPrice: 50 }], total: 50 }, notifications: [{ url: system.sink.url('/beta/gone'), scope: { state: ['processing'] } }] })
      .expect(201);
    await request(system.ordersHttp).put(`/api/v0/checkout/orders/${betaOrder.body.id as string}/state`).set(BETA).send({ currentStatus: 'processing' }).expect(200);

    const deadline = Date.now() + 60_000;
    let alerts: EventRecord[] = [];
    while (!alerts.some((e) => e.scope === 'endpoint.disabled' && e.status === 'dead')) {
      if (Date.now() > deadline) throw new Error('the endpoint.disabled alert to the broken alert endpoint did not die within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
      alerts = (await api().get(EVENTS).query({ scope: 'endpoint', limit: 500 }).set(BETA).expect(200)).body.data as EventRecord[];
    }
    const dead = alerts.find((e) => e.scope === 'endpoint.disabled' && e.status === 'dead') as EventRecord;
    expect(receivers.received('/beta/alerts').length).toBeGreaterThanOrEqual(7);
    // The dispatcher raised this incident when the alert died; raised again, it still creates nothing.
    await expect(system.notifications.get(EndpointAlerts).raise({ kind: 'dead', eventId: dead.id, statusCode: 500, error: 'HTTP 500' })).resolves.toEqual([]);
    expect((await api().get(EVENTS).query({ scope: 'delivery.dead' }).set(BETA).expect(200)).body.data).toEqual([]);
  });
});
