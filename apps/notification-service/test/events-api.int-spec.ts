import { normaliseScope, Order, Registration } from '@ordercast/contracts';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { eventListQuery } from '../src/events/event-list-query';
import type { EventRecord } from '../src/events/event-record';
import { aChangeEvent, aPayment, aRegistration, anOrder, withState } from './fixtures/orders';
import { ALPHA, BETA, EVENTS, NOTIFICATIONS, startSuite, Suite } from './notification-service.fixture';

describe('events API (real PostgreSQL)', () => {
  let suite: Suite;
  /** Two orders of alpha with a few deliveries each, on their own channel so other tests' events stay out. */
  let first: { order: Order; erp: Registration; payments: Registration };
  let second: { order: Order; erp: Registration };
  const channel = `api-${randomUUID().slice(0, 8)}`;
  let startedAt: string;

  const list = async (query: Record<string, string | number>, auth = ALPHA) =>
    (await request(suite.http).get(EVENTS).query({ channel, ...query }).set(auth).expect(200)).body as { data: EventRecord[]; pagination: Record<string, number> };

  beforeAll(async () => {
    suite = await startSuite();
    startedAt = new Date().toISOString();
    const erp = aRegistration({ reference: 'erp', url: suite.sink.url('/erp'), scope: [{ pointer: '/state/currentStatus' }] });
    const payments = aRegistration({ reference: 'psp', url: suite.sink.url('/psp'), scope: normaliseScope({ payment: true }) });
    const order = anOrder({ merchant: 'alpha', channel, notifications: [erp, payments] });
    const processing = withState(order, 'processing', '2025-01-01T11:00:00.000Z');
    const paid = { ...processing, lastModified: '2025-01-01T11:30:00.000Z', payments: [aPayment({ state: 'authorized' })] };
    const accepted = withState(paid, 'accepted', '2025-01-01T12:00:00.000Z');
    const completed = withState(accepted, 'completed', '2025-01-01T13:00:00.000Z');
    await suite.publish(aChangeEvent(order, processing), aChangeEvent(processing, paid), aChangeEvent(paid, accepted), aChangeEvent(accepted, completed));
    first = { order, erp, payments };

    const otherErp = aRegistration({ reference: 'erp', url: suite.sink.url('/erp-failing'), scope: normaliseScope({ state: ['processing'] }) });
    suite.sink.respond('/erp-failing', 500);
    const other = anOrder({ merchant: 'alpha', channel, notifications: [otherErp] });
    await suite.publish(aChangeEvent(other, withState(other, 'processing')));
    second = { order: other, erp: otherErp };

    await suite.eventsOf(order.id, { count: 4 });
    await suite.eventsOf(other.id, { until: (e) => e.status === 'dead' });
  });
  afterAll(async () => {
    await suite?.close();
  });

  describe('GET /events', () => {
    it('lists newest first with pagination', async () => {
      const all = await list({});
      expect(all.pagination).toEqual({ offset: 0, limit: 50, size: 8, totalSize: 8 });
      const created = all.data.map((e) => Date.parse(e.createdAt));
      expect(created).toEqual([...created].sort((a, b) => b - a));

      const page = await list({ limit: 3, offset: 2 });
      expect(page.pagination).toEqual({ offset: 2, limit: 3, size: 3, totalSize: 8 });
      expect(page.data.map((e) => e.id)).toEqual(all.data.slice(2, 5).map((e) => e.id));
      expect((await list({ limit: 3, offset: 7 })).pagination).toEqual({ offset: 7, limit: 3, size: 1, totalSize: 8 });
    });

    it('filters by orderId and its alias order_id', async () => {
      const byOrder = await list({ orderId: first.order.id });
      expect(byOrder.data).toHaveLength(4);
      expect(byOrder.data.every((e) => e.orderId === first.order.id)).toBe(true);
      expect((await list({ order_id: first.order.id })).data.map((e) => e.id)).toEqual(byOrder.data.map((e) => e.id));
      expect((await list({ orderId: randomUUID() })).pagination.totalSize).toBe(0);
    });

    it('takes an order id in any case and with any version bits, as order-service does', async () => {
      const byOrder = await list({ orderId: first.order.id });
      const upper = await list({ orderId: first.order.id.toUpperCase() });
      expect(upper.data.map((e) => e.id)).toEqual(byOrder.data.map((e) => e.id));
      // md5('x')::uuid: a UUID to PostgreSQL, though its version nibble is 'c'.
      expect((await list({ orderId: '9dd4e461-268c-8034-f5c8-564e155c67a6' })).pagination.totalSize).toBe(0);
    });

    it('filters by scope family and by exact scope label', async () => {
      const states = await list({ scope: 'state' });
      expect(new Set(states.data.map((e) => e.scope))).toEqual(new Set(['state.processing', 'state.accepted', 'state.completed']));
      expect(states.pagination.totalSize).toBe(7);
      expect((await list({ scope: 'state.completed' })).data.map((e) => e.scope)).toEqual(['state.completed']);
      expect((await list({ scope: 'payment' })).data.map((e) => e.scope)).toEqual(['payment.authorized']);
      expect((await list({ scope: 'stat' })).pagination.totalSize).toBe(0);
    });

    it('filters by status, notification, reference and channel', async () => {
      expect((await list({ status: 'dead' })).data.map((e) => [e.orderId, e.attempt])).toEqual([[second.order.id, 4]]);
      expect((await list({ status: 'failed' })).pagination.totalSize).toBe(3);
      expect((await list({ notificationId: first.payments.id })).data.map((e) => e.scope)).toEqual(['payment.authorized']);
      expect((await list({ reference: 'psp' })).pagination.totalSize).toBe(1);
      expect((await list({ reference: 'erp' })).pagination.totalSize).toBe(7);
      expect((await list({ channel: 'no-such-channel' })).pagination.totalSize).toBe(0);
      expect((await list({ subscriptionId: randomUUID() })).pagination.totalSize).toBe(0);
    });

    it('filters by creation time', async () => {
      expect((await list({ from: startedAt })).pagination.totalSize).toBe(8);
      expect((await list({ to: startedAt })).pagination.totalSize).toBe(0);
      expect((await list({ from: '2020-01-01', to: new Date(Date.now() + 60_000).toISOString() })).pagination.totalSize).toBe(8);
    });

    it.each([
      [{ limit: '0' }, 'limit'],
      [{ limit: '501' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ offset: '-1' }, 'offset'],
      [{ offset: '1000001' }, 'offset'],
      [{ status: 'lost' }, 'status'],
      [{ from: 'yesterday' }, 'from'],
      [{ to: '2025-13-45' }, 'to'],
      // ISO 8601 that JavaScript cannot read reached PostgreSQL as NaN: 500 (ninth round's attack).
      [{ from: '2026-W49' }, 'from must be a date such as 2026-12-01 or a date-time with Z or an offset'],
      [{ to: '2026-336' }, 'to must be a date'],
      [{ from: '20261202T100000Z' }, 'from must be a date'],
      [{ from: '2026-12-02T10:00' }, 'from must be a date'],
      [{ subscriptionId: 'not-a-uuid' }, 'subscriptionId must be a subscription id (a UUID)'],
      // Every id is a UUID: a filter that could match nothing is a mistake to report, not an empty page.
      [{ orderId: 'no-such-order' }, 'orderId must be an order id (a UUID)'],
      [{ order_id: 'R-1001' }, 'order_id must be an order id (a UUID)'],
      [{ notificationId: 'erp' }, 'notificationId must be a notification id (a UUID)'],
      [{ scope: 'state completed' }, 'scope'],
      [{ sort: 'asc' }, 'sort'],
      [{ from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }, 'from must not be after to'],
      [{ orderId: '00000000-0000-4000-8000-00000000000a', order_id: '00000000-0000-4000-8000-00000000000b' }, 'orderId and order_id differ'],
    ])('answers 400 for %p', async (query, mentioned) => {
      const response = await request(suite.http).get(EVENTS).query(query).set(ALPHA).expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(response.body.message.join(' ')).toContain(mentioned);
    });

    it("never shows another merchant's events", async () => {
      expect((await list({}, BETA)).pagination.totalSize).toBe(0);
      expect((await list({ orderId: first.order.id }, BETA)).data).toEqual([]);
    });
  });

  describe('GET /events/{id}', () => {
    it('returns one event with request and response, and 404 for unknown or foreign ids', async () => {
      const [event] = (await list({ orderId: first.order.id, scope: 'state.completed' })).data;
      const found = await request(suite.http).get(`${EVENTS}/${event.id}`).set(ALPHA).expect(200);
      expect(found.body).toEqual(event);
      expect(found.body.request).toMatchObject({ url: suite.sink.url('/erp'), method: 'POST' });
      await request(suite.http).get(`${EVENTS}/${event.id}`).set(BETA).expect(404);
      await request(suite.http).get(`${EVENTS}/${randomUUID()}`).set(ALPHA).expect(404);
      await request(suite.http).get(`${EVENTS}/not-a-uuid`).set(ALPHA).expect(404);
      expect((await request(suite.http).get(`${EVENTS}/${event.id.toUpperCase()}`).set(ALPHA).expect(200)).body.id).toBe(event.id);
    });

    it('needs merchant and token', async () => {
      await request(suite.http).get(EVENTS).expect(400);
      await request(suite.http).get(EVENTS).set({ 'x-merchant': 'alpha' }).expect(401);
      await request(suite.http).get(EVENTS).set({ 'x-merchant': 'alpha', authorization: 'Bearer beta-token-1' }).expect(403);
    });
  });

  describe('POST /orders/{orderId}/trigger', () => {
    const trigger = (orderId: string, body: object, auth = ALPHA) => request(suite.http).post(`${NOTIFICATIONS}/orders/${orderId}/trigger`).set(auth).send(body);

    it('sends one notification now from the latest snapshot, as a new message with scope manual', async () => {
      const before = suite.sink.received('/erp').length;
      const response = await trigger(first.order.id, { notificationId: first.erp.id }).expect(202);
      expect(response.body.data).toHaveLength(1);
      const [event] = response.body.data as EventRecord[];
      expect(event).toMatchObject({ orderId: first.order.id, notificationId: first.erp.id, scope: 'manual', trigger: 'manual', attempt: 1, retryOf: null, type: 'order.notification.triggered' });

      const received = (await suite.sink.waitFor(before + 1, 10_000, '/erp'))[before];
      expect(received.headers['webhook-id']).toBe(event.messageId);
      const body = JSON.parse(received.body);
      expect(body).toMatchObject({ id: event.messageId, scope: 'manual', orderId: first.order.id, change: { kind: 'manual' }, notification: { id: first.erp.id, reference: 'erp' } });
      expect(body.order.state.currentStatus).toBe('completed');
      const events = await suite.eventsOf(first.order.id, { until: (e) => e.trigger === 'manual' && e.status === 'succeeded' });
      expect(new Set(events.map((e) => e.messageId)).size).toBe(events.length);
    });

    it('sends every registration of the order without a filter, and those with a reference', async () => {
      expect((await trigger(first.order.id, {}).expect(202)).body.data.map((e: EventRecord) => e.notificationId).sort()).toEqual([first.erp.id, first.payments.id].sort());
      expect((await trigger(first.order.id, { reference: 'psp' }).expect(202)).body.data.map((e: EventRecord) => e.notificationId)).toEqual([first.payments.id]);
      const upper = await trigger(first.order.id.toUpperCase(), { notificationId: first.erp.id.toUpperCase() }).expect(202);
      expect(upper.body.data.map((e: EventRecord) => [e.orderId, e.notificationId])).toEqual([[first.order.id, first.erp.id]]);
    });

    it('answers 404 for an unknown order or notification, and for another merchant', async () => {
      await trigger(randomUUID(), {}).expect(404);
      await trigger(first.order.id, { notificationId: randomUUID() }).expect(404);
      await trigger(first.order.id, { reference: 'nope' }).expect(404);
      await trigger(first.order.id, {}, BETA).expect(404);
    });

    it('rejects unknown fields', async () => {
      const response = await trigger(first.order.id, { everything: true }).expect(400);
      expect(response.body.message.join(' ')).toContain('everything');
    });

    it('answers 400 for a notificationId that is not an id, and sends nothing', async () => {
      const response = await trigger(first.order.id, { notificationId: 'erp' }).expect(400);
      expect(response.body.message).toEqual(['notificationId must be a notification id (a UUID)']);
      expect((await trigger(first.order.id, { notificationId: null }).expect(400)).body.message).toEqual(['notificationId must be a notification id (a UUID)']);
      expect((await trigger(first.order.id, { reference: null }).expect(400)).body.message).toContain('reference must be a string');
    });
  });

  describe('service', () => {
    it('reports health of the database and the bus', async () => {
      const response = await request(suite.http).get('/health').expect(200);
      expect(response.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, bus: { status: 'up' } } });
    });

    it('serves Prometheus metrics: deliveries, attempt durations, backlog, consumer lag, HTTP', async () => {
      const response = await request(suite.http).get('/metrics').expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      const value = (pattern: RegExp) => Number(response.text.match(pattern)?.[1] ?? NaN);
      // The suite's changes were ingested and delivered (one target failing until dead) before this test.
      expect(value(/^ordercast_deliveries_total\{status="succeeded"\} (\d+)$/m)).toBeGreaterThanOrEqual(4);
      expect(value(/^ordercast_deliveries_total\{status="dead"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
      expect(value(/^ordercast_delivery_attempt_duration_seconds_count (\d+)$/m)).toBeGreaterThanOrEqual(5);
      expect(value(/^ordercast_change_events_ingested_total (\d+)$/m)).toBeGreaterThanOrEqual(5);
      expect(value(/^ordercast_ingest_lag_seconds_count (\d+)$/m)).toBeGreaterThanOrEqual(5);
      expect(response.text).toMatch(/^ordercast_pending_events\{due="true"\} \d+$/m);
      // Every batch reports the messages left behind it in its partition: all ingested, so none.
      expect(response.text).toMatch(/^ordercast_consumer_lag_messages\{partition="\d+"\} 0$/m);
      expect(response.text).toContain('http_requests_total');
      expect(response.text).toContain('process_resident_memory_bytes');
    });

    it('describes its API at /api/docs without auth', async () => {
      const response = await request(suite.http).get('/api/docs-json').expect(200);
      expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining([
        '/api/v0/checkout/notifications/events',
        '/api/v0/checkout/notifications/events/{eventId}',
        '/api/v0/checkout/notifications/events/{eventId}/retry',
        '/api/v0/checkout/notifications/events/retry',
        '/api/v0/checkout/notifications/orders/{orderId}/trigger',
      ]));
      await request(suite.http).get('/api/docs').expect(200);
    });

    it('pins the docs page to its own spec under a Content-Security-Policy, and never names its framework', async () => {
      const page = await request(suite.http).get('/api/docs?url=https://evil.example.com/spec.json').expect(200);
      expect(page.headers['content-security-policy']).toMatch(/script-src 'self'.*connect-src 'self'/);
      const init = await request(suite.http).get('/api/docs/swagger-ui-init.js').expect(200);
      expect(init.text).toContain('"swaggerUrl": "/api/docs-json"');
      expect(init.text).toContain('"queryConfigEnabled": false');
      for (const path of ['/api/docs', '/health', '/api/v0/checkout/notifications/events']) {
        expect((await request(suite.http).get(path)).headers['x-powered-by']).toBeUndefined();
      }
    });
  });

  describe('indexes', () => {
    it('serves the orderId and scope filters from indexes, not by scanning the events table', async () => {
      await suite.sql.query(`
        WITH m AS (
          INSERT INTO notifications.messages (id, merchant, order_id, target_id, scope, delivery, url, method, body, created_at)
          SELECT gen_random_uuid(), 'm' || (i % 20), 'o-' || (i % 5000), 't', (ARRAY['state.completed','state.accepted','payment.captured','shipping.confirmed'])[1 + i % 4],
                 'webhook', 'https://example.com/', 'POST', '{}', now() - i * interval '1 second'
          FROM generate_series(1, 40000) AS i
          RETURNING id, merchant, order_id, scope, created_at
        )
        INSERT INTO notifications.events (id, message_id, merchant, order_id, channel, scope, type, delivery, attempt, trigger, status, created_at)
        SELECT gen_random_uuid(), id, merchant, order_id, 'web', scope, 'order.state.changed', 'webhook', 1, 'automatic', 'succeeded', created_at FROM m`);
      await suite.sql.query('ANALYZE notifications.events');
      await suite.sql.query('ANALYZE notifications.messages');

      const plan = async (filter: Parameters<typeof eventListQuery>[1]) => {
        const { list, count } = eventListQuery('m1', filter, { limit: 50, offset: 0 });
        const explain = async (sql: string, params: unknown[]) =>
          (await suite.sql.query(`EXPLAIN ${sql}`, params)).rows.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n');
        return `${await explain(list.sql, list.params)}\n${await explain(count.sql, count.params)}`;
      };
      for (const filter of [{ orderId: 'o-21' }, { scope: 'state' }, { scope: 'state.completed' }, { status: 'failed' as const }, { status: 'succeeded' as const }]) {
        const text = await plan(filter);
        expect(text).not.toMatch(/Seq Scan on events/);
        expect(text).toMatch(/Index|Bitmap/);
      }
    });
  });
});
