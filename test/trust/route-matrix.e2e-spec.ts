import type { Order } from '@ordercast/contracts';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from 'pg';
import request from 'supertest';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import { fill, httpRoutes } from './support/routes';
import {
  ALPHA, allEvents, BETA, CHANNELS, connect, createOrder, dumpTables, eventually, hook, inBatches, InProcessService, NOTIFICATIONS, OPERATOR, ORDERS,
  setState, startNotificationService, startOrderService, SUBSCRIPTIONS, topicPrefix,
} from './support/services';

jest.setTimeout(120_000);

/** Planted in every piece of the victim's data (references, urls, header values, response bodies). */
const MARKER = 'victim-marker';

/**
 * The routes that say `@Public()` themselves (or are served outside Nest, like the OpenAPI
 * pages), and the operator-only ones. Every other route the routers hold is a merchant route;
 * a route made public or operator-only without being listed here fails the suite.
 */
const PUBLIC = new Set([
  'GET /health', 'GET /metrics', 'GET /api/v0/checkout/notifications/.well-known/jwks.json', 'GET /dashboard', 'GET /dashboard/:file',
]);
/** The OpenAPI description and its UI files, which the swagger module serves itself (static, no merchant data). */
const OPENAPI_PAGE = /^GET \/api\/docs(-json|-yaml|\/.*)?$/;
const OPERATOR_ROUTES = new Set(['POST /api/v0/checkout/notifications/signing-keys/rotate', 'GET /api/v0/checkout/operator/parked-changes', 'GET /api/v0/checkout/notifications/operator/parked-changes']);

/** A query a route needs to answer its victim at all (and without long-polling); sent with every spelling and credential. */
const QUERIES: Record<string, () => string> = {
  'GET /api/v0/checkout/notifications/receive': () => 'maxNumberMessages=1&timeoutMs=0',
  'GET /api/v0/checkout/notifications': () => {
    const now = Date.now();
    return `periodStart=${new Date(now - 3_600_000).toISOString()}&periodEnd=${new Date(now + 3_600_000).toISOString()}`;
  },
};

type Access = 'public' | 'operator' | 'merchant';

interface Credential {
  name: string;
  headers: Record<string, string>;
  /** The status the guard answers on the canonical path; null where the credential is the right one. */
  expect: Record<Access, number | null>;
}

/** Everything an attacker can present, and what the guard answers each on a correctly spelled path. */
const CREDENTIALS: Credential[] = [
  { name: 'none', headers: {}, expect: { public: null, operator: 401, merchant: 400 } },
  { name: "the victim's merchant header, no token", headers: { 'x-merchant': 'alpha' }, expect: { public: null, operator: 401, merchant: 401 } },
  { name: 'an unknown token', headers: { 'x-merchant': 'alpha', authorization: 'Bearer not-a-configured-token' }, expect: { public: null, operator: 401, merchant: 401 } },
  { name: "another merchant's token for the victim", headers: { 'x-merchant': 'alpha', authorization: BETA.authorization }, expect: { public: null, operator: 403, merchant: 403 } },
  { name: "the victim's token for another merchant", headers: { 'x-merchant': 'beta', authorization: ALPHA.authorization }, expect: { public: null, operator: 403, merchant: 403 } },
  { name: "the victim's own credentials", headers: ALPHA, expect: { public: null, operator: 403, merchant: null } },
  { name: 'the operator token as a merchant', headers: { 'x-merchant': 'alpha', ...OPERATOR }, expect: { public: null, operator: null, merchant: 401 } },
  { name: 'the operator token', headers: OPERATOR, expect: { public: null, operator: null, merchant: 400 } },
];

interface Spelling {
  name: string;
  path: string;
  /** Whether the router itself must refuse it (404 "Cannot ..."), or only some 4xx. */
  unrouted: boolean;
}

/**
 * Other spellings of one route's path: each literal segment in upper case, capitalised, with its
 * first letter percent-encoded; the whole path in upper case; a doubled slash at each place; a
 * trailing slash; an encoded slash; dot segments. Parameter values are left alone (another value
 * is another id, not another spelling).
 */
function spellings(pattern: string, values: Record<string, string>): Spelling[] {
  const segments = pattern.split('/').slice(1).map((segment) => ({ literal: !segment.startsWith(':'), text: fill(`GET /${segment}`, values).path.slice(1) }));
  /** `/a/b` for [a, b]; empty for none. */
  const tail = (texts: string[]) => texts.map((text) => `/${text}`).join('');
  const texts = segments.map((segment) => segment.text);
  const declared = tail(texts);
  const replaced = (index: number, text: string) => tail(texts.map((t, i) => (i === index ? text : t)));
  const found: Spelling[] = [];
  const add = (name: string, spelled: string, unrouted = true) => {
    if (spelled !== declared && !found.some((s) => s.path === spelled)) found.push({ name, path: spelled, unrouted });
  };
  segments.forEach((segment, index) => {
    if (!segment.literal) return;
    add(`segment ${index} in upper case`, replaced(index, segment.text.toUpperCase()));
    add(`segment ${index} capitalised`, replaced(index, segment.text.replace(/[a-z]/, (c) => c.toUpperCase())));
    add(`segment ${index} percent-encoded`, replaced(index, segment.text.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`)));
  });
  add('all in upper case', tail(segments.map((s) => (s.literal ? s.text.toUpperCase() : s.text))));
  texts.forEach((_, index) => add(`doubled slash before segment ${index}`, `${tail(texts.slice(0, index))}/${tail(texts.slice(index))}`));
  add('trailing slash', `${declared}/`);
  // After a parameter, an encoded slash is part of its value ("<order id>/notifications" is an unknown order).
  texts.slice(1).forEach((_, index) => add(`encoded slash after segment ${index}`, `${tail(texts.slice(0, index + 1))}%2F${texts.slice(index + 1).join('/')}`, segments[index].literal));
  // Dot segments are not resolved by the server, so one may fill a parameter of another route
  // ("/events/./retry" is the retry of event "."): a 4xx, though not necessarily the router's.
  texts.slice(1).forEach((_, index) => add(`dot segment after segment ${index}`, `${tail(texts.slice(0, index + 1))}/.${tail(texts.slice(index + 1))}`, false));
  add('a detour up again', `${tail(texts.slice(0, 1))}/detour/..${tail(texts.slice(1))}`, false);
  add('trailing dot segment', `${declared}/.`, false);
  add('trailing parent segment', `${declared}/detour/..`, false);
  return found;
}

interface Answer {
  status: number;
  text: string;
}

/** A request sent exactly as spelled: no client-side normalisation of dot segments or slashes. */
function send(port: number, agent: Agent, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * The reported attack was `/API/...` (no credentials) reaching handlers that the guard skipped
 * because it looked at the path. This suite takes every route both services' routers hold (so a
 * new route is covered without being listed), spells its path every way a client can, and sends
 * each spelling with every credential an attacker can present, path parameters filled with the
 * victim merchant's real ids. Every answer is a 4xx that tells the caller nothing of the victim's
 * it did not already send, and every table of both schemas is the same afterwards. The victim's
 * own correctly spelled requests succeed, so the suite can fail.
 */
describe('route matrix: no spelling of any route, with any credential, reaches another merchant\'s data', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: InProcessService;
  let notifications: InProcessService;
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  /** Path parameter → the victim's value, per service (`:id` is an order in one and a subscription in the other). */
  const params: Record<'orders' | 'notifications', Record<string, string>> = { orders: {}, notifications: {} };
  /** Every id and value of the victim's that no refused request may echo (unless the request itself carried it). */
  let secrets: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect(db.url);
    sink = await RecordingSink.start((r) => (r.path.includes('fail') ? { status: 500, body: `${MARKER} failure` } : { status: 200, body: `${MARKER} ok` }));
    const env = {
      DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('route-matrix'), RETRY_SCHEDULE: '50ms',
    };
    orders = await startOrderService(env);
    notifications = await startNotificationService(env);
    for (const service of [orders, notifications]) await new Promise<void>((resolve) => service.http.listen(0, '127.0.0.1', resolve));

    // Everything the victim (merchant alpha) can own.
    const channel = await request(orders.http).put(`${CHANNELS}/web/notifications`).set(ALPHA)
      .send([hook(sink.url(`/${MARKER}/channel`), { state: ['completed'] }, { reference: `${MARKER}-channel`, headers: { 'X-API-Key': `${MARKER}-key` } })]).expect(200);
    const order: Order = await createOrder(orders.http, {
      reference: `${MARKER}-order`,
      notifications: [
        hook(sink.url(`/${MARKER}/ok`), { state: ['processing'] }, { reference: `${MARKER}-ok`, headers: { Authorization: `Bearer ${MARKER}-token` } }),
        hook(sink.url(`/${MARKER}/fail`), { state: ['processing'] }, { reference: `${MARKER}-fail` }),
      ],
    });
    const payment = await request(orders.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: `${MARKER}-pay`, amount: 100, state: 'authorized' }).expect(201);
    const shipping = await request(orders.http).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA).send({ adapterId: `${MARKER}-ship`, price: 10, state: 'processing' }).expect(201);
    const subscription = await request(notifications.http).post(SUBSCRIPTIONS).set(ALPHA)
      .send({ name: `${MARKER}-subscription`, scope: { state: ['processing'] }, delivery: 'poll' }).expect(201);
    await setState(orders.http, order.id, 'processing');

    // Settled: the failing hook is dead, nothing is pending, the subscription's poll message is there.
    let events: EventRecord[] = [];
    await eventually(async () => {
      events = await allEvents(notifications.http, ALPHA, { orderId: order.id });
      return events.some((e) => e.status === 'dead') && events.every((e) => e.status !== 'pending');
    }, 30_000, () => JSON.stringify(events.map((e) => [e.scope, e.status])));
    let messageIds: string[] = [];
    await eventually(async () => {
      const response = await request(notifications.http).get(`${NOTIFICATIONS}?${QUERIES['GET /api/v0/checkout/notifications']()}`).set(ALPHA).expect(200);
      messageIds = (response.body.messagesResponses as { messageInfo: { messageId: string } }[]).map((m) => m.messageInfo.messageId);
      return messageIds.length > 0;
    }, 30_000, () => 'a poll message for the victim');

    const dead = events.find((e) => e.status === 'dead')!;
    const shared = { channel: 'web', orderId: order.id, paymentId: payment.body.id, shippingId: shipping.body.id, notificationId: order.notifications[0].id, eventId: dead.id, file: 'app.js' };
    params.orders = { ...shared, id: order.id };
    params.notifications = { ...shared, id: subscription.body.id };
    secrets = [
      MARKER, order.id, payment.body.id, shipping.body.id, subscription.body.id, ...order.notifications.map((n) => n.id),
      ...(channel.body as { id: string }[]).map((n) => n.id), ...events.map((e) => e.id), ...events.map((e) => e.messageId), ...messageIds,
    ];
  });

  afterAll(async () => {
    agent.destroy();
    await notifications?.close();
    await orders?.close();
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  const services = () => [
    { name: 'order-service', key: 'orders' as const, service: orders },
    { name: 'notification-service', key: 'notifications' as const, service: notifications },
  ];

  const accessOf = (route: string): Access => (PUBLIC.has(route) || OPENAPI_PAGE.test(route) ? 'public' : OPERATOR_ROUTES.has(route) ? 'operator' : 'merchant');
  const withQuery = (route: string, path: string) => (QUERIES[route] ? `${path}?${QUERIES[route]()}` : path);

  /** The victim's values in a response that the request did not carry itself. */
  const leaked = (path: string, headers: Record<string, string>, text: string) =>
    secrets.filter((secret) => text.includes(secret) && !path.includes(secret) && !Object.values(headers).some((value) => value.includes(secret)));

  it('lists every public and operator route it expects in the routers', () => {
    const all = services().flatMap(({ service }) => httpRoutes(service.app));
    expect([...PUBLIC, ...OPERATOR_ROUTES].filter((route) => !all.includes(route))).toEqual([]);
  });

  it("has a value of the victim's for every path parameter of every route", () => {
    const missing = services().flatMap(({ key, service }) => httpRoutes(service.app).flatMap((route) =>
      [...route.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]).filter((name) => params[key][name] === undefined).map((name) => `${route} :${name}`)));
    expect(missing).toEqual([]);
  });

  it('answers every spelling × credential with a 4xx that leaks nothing, and changes no row of either schema', async () => {
    interface Attempt { service: string; port: number; route: string; spelling: string; path: string; credential: Credential; expect: (status: number, text: string) => boolean }
    const attempts: Attempt[] = [];
    for (const { name, key, service } of services()) {
      const port = (service.http.address() as AddressInfo).port;
      for (const route of httpRoutes(service.app)) {
        const access = accessOf(route);
        const canonical = fill(route, params[key]);
        for (const credential of CREDENTIALS) {
          const expected = credential.expect[access];
          if (access !== 'public' && expected !== null) {
            attempts.push({ service: name, port, route, spelling: 'as declared', path: withQuery(route, canonical.path), credential, expect: (status) => status === expected });
          }
          for (const spelling of spellings(route.split(' ')[1], params[key])) {
            const refused = (status: number, text: string) => (spelling.unrouted ? status === 404 && text.includes(`Cannot ${canonical.method}`) : status >= 400 && status < 500);
            attempts.push({
              service: name, port, route, spelling: spelling.name, path: withQuery(route, spelling.path), credential,
              // The swagger module serves its static files by prefix, normalising the path itself: public, and checked for leaks only.
              expect: OPENAPI_PAGE.test(route) ? () => true : refused,
            });
          }
        }
      }
    }
    // Public routes answer anyone, and must still carry nothing of the victim's (metrics above all, after all this traffic);
    // the OpenAPI pages are the swagger module's own (one of its listed files is missing, a 404 that is none of this suite's business).
    const publicReads = services().flatMap(({ name, key, service }) => httpRoutes(service.app).filter((route) => accessOf(route) === 'public').map((route) => ({
      service: name, port: (service.http.address() as AddressInfo).port, route, path: fill(route, params[key]).path,
    })));

    const before = await dumpTables(sql);
    const deliveredBefore = sink.received().length;
    const failures: string[] = [];
    await inBatches(attempts, 8, async (attempt) => {
      const method = attempt.route.split(' ')[0];
      const answer = await send(attempt.port, agent, method, attempt.path, attempt.credential.headers);
      const leaks = leaked(attempt.path, attempt.credential.headers, answer.text);
      if (!attempt.expect(answer.status, answer.text) || leaks.length > 0) {
        failures.push(`${attempt.service} ${attempt.route} spelled ${attempt.spelling} (${method} ${attempt.path}) with ${attempt.credential.name} → ${answer.status} ${answer.text.slice(0, 160).replace(/\s+/g, " ")}${leaks.length ? ` leaking ${leaks.join(', ')}` : ''}`);
      }
    });
    for (const read of publicReads) {
      const answer = await send(read.port, agent, 'GET', read.path, {});
      const leaks = leaked(read.path, {}, answer.text);
      if ((PUBLIC.has(read.route) && answer.status >= 400) || leaks.length > 0) failures.push(`${read.service} public ${read.route} → ${answer.status}${leaks.length ? ` leaking ${leaks.join(', ')}` : ''}`);
    }
    expect(failures).toEqual([]);
    expect(attempts.length).toBeGreaterThan(5_000);
    // The HTTP metrics still see every request under strict routing: refusals under their route's pattern, respellings as unmatched.
    const scrape = (await send((orders.http.address() as AddressInfo).port, agent, 'GET', '/metrics', {})).text;
    expect(scrape).toMatch(/^http_requests_total\{method="GET",route="\/api\/v0\/checkout\/orders\/:id",status="401"\} \d+$/m);
    expect(scrape).toMatch(/^http_requests_total\{method="GET",route="unmatched",status="404"\} \d+$/m);
    expect(await dumpTables(sql)).toEqual(before);
    expect(sink.received().length).toBe(deliveredBefore);
  });

  it("answers the victim's own correctly spelled reads with the victim's data (the control that lets the matrix fail)", async () => {
    const reads = services().flatMap(({ name, key, service }) => httpRoutes(service.app).filter((route) => route.startsWith('GET ') && accessOf(route) === 'merchant').map((route) => ({
      service: name, port: (service.http.address() as AddressInfo).port, route, path: withQuery(route, fill(route, params[key]).path),
    })));
    expect(reads.length).toBeGreaterThan(8);
    const answers = await inBatches(reads, 8, (read) => send(read.port, agent, 'GET', read.path, ALPHA));
    expect(reads.map((read, i) => `${read.service} ${read.route} → ${answers[i].status}`)).toEqual(reads.map((read) => `${read.service} ${read.route} → 200`));
    const showingVictimData = reads.filter((read, i) => leaked(read.path, ALPHA, answers[i].text).length > 0);
    expect(showingVictimData.length).toBeGreaterThan(reads.length / 2);
  });

  it('lets the operator token, and only it, rotate the signing key', async () => {
    const port = (notifications.http.address() as AddressInfo).port;
    const rotate = (headers: Record<string, string>) => send(port, agent, 'POST', `${NOTIFICATIONS}/signing-keys/rotate`, headers);
    expect((await rotate(ALPHA)).status).toBe(403);
    const rotation = await rotate(OPERATOR);
    expect(rotation.status).toBe(201);
    expect(JSON.parse(rotation.text)).toEqual({ kid: expect.any(String), previousKid: expect.any(String), activatesAt: expect.any(String) });
  });
});
