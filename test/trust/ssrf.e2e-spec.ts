import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { configureHttpApp, ensureSchema, HostResolver, JsonLogger, loadConfig, strictFastifyAdapter, TargetGuard } from '@ordercast/platform';
import { lookup } from 'node:dns';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import request from 'supertest';
import { NotificationServiceConfig } from '../../apps/notification-service/src/config/notification-service.config';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { NOTIFICATIONS_SCHEMA } from '../../apps/notification-service/src/notification-database';
import { NotificationServiceModule } from '../../apps/notification-service/src/notification-service.module';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import {
  ALPHA, allEvents, CHANNELS, connect, createOrder, eventually, hook, InProcessService, ORDERS, setState, startNotificationService,
  startOrderService, SUBSCRIPTIONS, topicPrefix, TRUST_ENV,
} from './support/services';

jest.setTimeout(60_000);

/** Loopback, private, link-local, metadata, reserved, and the same in IPv6 and in the other spellings URL parsers accept. */
const FORBIDDEN_URLS = [
  'http://127.0.0.1/hook', 'http://127.1/hook', 'http://2130706433/hook', 'http://0x7f000001/hook', 'http://0177.0.0.1/hook', 'http://0.0.0.0/hook', 'http://0/hook',
  'http://localhost/hook', 'http://LOCALHOST./hook', 'http://api.localhost/hook',
  'http://10.0.0.1/hook', 'http://172.16.0.1/hook', 'http://192.168.1.1/hook', 'http://100.64.0.1/hook',
  'http://169.254.169.254/latest/meta-data/', 'http://169.254.170.2/v2/credentials',
  'http://[::1]/hook', 'http://[::]/hook', 'http://[::ffff:127.0.0.1]/hook', 'http://[0:0:0:0:0:ffff:7f00:1]/hook', 'http://[::ffff:169.254.169.254]/hook',
  'http://[::127.0.0.1]/hook', 'http://[::ffff:0:7f00:1]/hook', 'http://[64:ff9b::a9fe:a9fe]/hook',
  'http://[fe80::1]/hook', 'http://[fd00::1]/hook', 'http://[fc00::1]/hook', 'http://[fec0::1]/hook', 'http://[ff02::1]/hook',
];
/** Resolves to 10.0.0.7 through the fake DNS of notification-service (order-service keeps the system resolver). */
const RESOLVES_PRIVATE = 'https://private.test/hook';
/** Not even a URL Ordercast would call. */
const UNSUPPORTED_URLS = ['file:///etc/passwd', 'ftp://example.com/x', 'gopher://example.com/_x', 'javascript:alert(1)', 'http://user:pass@example.com/x', 'not a url'];

/**
 * A fake DNS answer is the only thing simulated here: `private.test` always resolves to 10.0.0.7,
 * `rebind.test` resolves to a public address the first time and to 127.0.0.1 after that (DNS
 * rebinding). Every other name goes to the system resolver (so `localhost` is real).
 */
function fakeDns(): { resolver: HostResolver; rebindLookups: () => number } {
  const system = promisify(lookup) as HostResolver;
  let rebind = 0;
  const resolver: HostResolver = async (hostname, options) => {
    if (hostname === 'private.test') return [{ address: '10.0.0.7', family: 4 }];
    if (hostname === 'rebind.test') return [{ address: (rebind += 1) === 1 ? '93.184.216.34' : '127.0.0.1', family: 4 }];
    return system(hostname, options);
  };
  return { resolver, rebindLookups: () => rebind };
}

/** notification-service as createNotificationServiceApp builds it, with the fake resolver in its TargetGuard. */
async function notificationServiceWithDns(env: Record<string, string>, resolver: HostResolver): Promise<INestApplication> {
  const config = loadConfig(NotificationServiceConfig, { ...TRUST_ENV, ...env });
  await ensureSchema(config.databaseUrl!, NOTIFICATIONS_SCHEMA);
  const moduleRef = await Test.createTestingModule({ imports: [NotificationServiceModule.forRoot(config, config.databaseUrl!)] })
    .overrideProvider(TargetGuard).useValue(new TargetGuard(config.allowPrivateTargets, resolver))
    .compile();
  const app = moduleRef.createNestApplication(strictFastifyAdapter(), { bodyParser: false, logger: new JsonLogger('notification-service', 'error') });
  configureHttpApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('SSRF: targets on private networks are refused (ALLOW_PRIVATE_TARGETS=false)', () => {
  let db: TestDatabase;
  let sink: RecordingSink;
  /** Refuses private targets, like production. */
  let strictOrders: InProcessService;
  /** Accepts them at registration (ALLOW_PRIVATE_TARGETS=true), so the connect-time check can be shown on its own. */
  let lenientOrders: InProcessService;
  let notifications: INestApplication;
  let http: Server;
  const dns = fakeDns();

  beforeAll(async () => {
    db = await createTestDatabase();
    sink = await RecordingSink.start();
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('ssrf'), RETRY_SCHEDULE: '50ms' };
    strictOrders = await startOrderService({ ...env, ALLOW_PRIVATE_TARGETS: 'false' });
    lenientOrders = await startOrderService({ ...env, ALLOW_PRIVATE_TARGETS: 'true' });
    notifications = await notificationServiceWithDns({ ...env, ALLOW_PRIVATE_TARGETS: 'false' }, dns.resolver);
    http = notifications.getHttpServer() as Server;
  });

  afterAll(async () => {
    await notifications?.close();
    await lenientOrders?.close();
    await strictOrders?.close();
    await sink?.close();
    await db?.drop();
  });

  it('refuses every forbidden or unsupported target at registration, on every endpoint that takes one, and stores nothing', async () => {
    const order = await createOrder(strictOrders.http);
    const payment = await request(strictOrders.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA).send({ adapterId: 'card', amount: 1, state: 'intent' }).expect(201);
    const subscription = await request(http).post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'erp', scope: { state: ['completed'] }, url: 'https://erp.example.com/hook' }).expect(201);
    const sql = await connect(db.url);
    try {
      const snapshot = async () => JSON.stringify((await sql.query(
        `SELECT (SELECT json_agg(o.document ORDER BY o.id) FROM orders.orders o) AS orders,
                (SELECT json_agg(c.registrations) FROM orders.channel_notifications c) AS channels,
                (SELECT json_agg(s.url ORDER BY s.id) FROM notifications.subscriptions s) AS subscriptions`)).rows);
      const before = await snapshot();

      const attempts: Record<string, (url: string) => request.Test> = {
        'POST /orders': (url) => request(strictOrders.http).post(ORDERS).set({ ...ALPHA, 'x-channel': 'web' })
          .send({ currency: 'SEK', cart: { items: [{ reference: 'a', name: 'A', quantity: 1, unitPrice: 1 }] }, notifications: [hook(url, { state: ['completed'] })] }),
        'POST /orders/{id}/notifications (url)': (url) => request(strictOrders.http).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send(hook(url, { state: ['completed'] })),
        'POST /orders/{id}/notifications (invoke)': (url) => request(strictOrders.http).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
          .send({ invoke: url, scope: '/state/currentStatus', schema: { enum: ['completed'] } }),
        'POST /orders/{id}/payments': (url) => request(strictOrders.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA)
          .send({ adapterId: 'card', amount: 1, state: 'intent', notifications: [hook(url, { payment: true })] }),
        'POST /orders/{id}/shippings': (url) => request(strictOrders.http).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA)
          .send({ adapterId: 'post', state: 'intent', notifications: [hook(url, { shipping: true })] }),
        'PUT /channels/{channel}/notifications': (url) => request(strictOrders.http).put(`${CHANNELS}/web/notifications`).set(ALPHA).send([hook(url, { state: ['completed'] })]),
        'POST /subscriptions': (url) => request(http).post(SUBSCRIPTIONS).set(ALPHA).send({ name: 'x', scope: { state: ['completed'] }, url }),
        'PATCH /subscriptions/{id}': (url) => request(http).patch(`${SUBSCRIPTIONS}/${subscription.body.id}`).set(ALPHA).send({ url }),
      };
      const accepted: string[] = [];
      for (const url of [...FORBIDDEN_URLS, ...UNSUPPORTED_URLS, RESOLVES_PRIVATE]) {
        for (const [endpoint, attempt] of Object.entries(attempts)) {
          if (url === RESOLVES_PRIVATE && !endpoint.includes('subscriptions')) continue;
          const response = await attempt(url);
          if (response.status !== 400) accepted.push(`${endpoint} ${url} → ${response.status}`);
          else expect(response.body.message.join(' ')).toMatch(/url|invoke|notifications/);
        }
      }
      expect(accepted).toEqual([]);
      expect(await snapshot()).toEqual(before);
      // The payment made before is still the only one, and has no registration.
      const after = await request(strictOrders.http).get(`${ORDERS}/${order.id}`).set(ALPHA).expect(200);
      expect(after.body.payments.map((p: { id: string }) => p.id)).toEqual([payment.body.id]);
      expect(after.body.notifications).toEqual([]);
    } finally {
      await sql.end();
    }
  });

  it('refuses OAuth2 token URLs and Kafka brokers on private networks at registration, for registrations and subscriptions, and stores nothing', async () => {
    const order = await createOrder(strictOrders.http);
    const oauth2 = (tokenUrl: string) => ({ type: 'oauth2_client_credentials', tokenUrl, clientId: 'c', clientSecret: 'ssrf-client-secret' });
    const kafka = (broker: string) => ({ brokers: [broker], topic: 'orders' });
    const attempts: Array<[string, () => request.Test]> = [];
    for (const tokenUrl of ['http://127.0.0.1/token', 'http://169.254.169.254/token', 'http://[::1]/token', 'http://localhost/token', 'http://10.0.0.1/token']) {
      attempts.push([`registration token URL ${tokenUrl}`, () => request(strictOrders.http).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
        .send({ ...hook('https://erp.example.com/hook', { state: ['completed'] }), auth: oauth2(tokenUrl) })]);
      attempts.push([`subscription token URL ${tokenUrl}`, () => request(http).post(SUBSCRIPTIONS).set(ALPHA)
        .send({ name: 'x', scope: { state: ['completed'] }, url: 'https://erp.example.com/hook', auth: oauth2(tokenUrl) })]);
    }
    for (const broker of ['127.0.0.1:9092', '169.254.169.254:9092', '[::1]:9092', 'localhost:9092', '10.0.0.1:9092', '[::ffff:127.0.0.1]:9092']) {
      attempts.push([`registration broker ${broker}`, () => request(strictOrders.http).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
        .send({ delivery: 'kafka', kafka: kafka(broker), scope: { state: ['completed'] } })]);
      attempts.push([`subscription broker ${broker}`, () => request(http).post(SUBSCRIPTIONS).set(ALPHA)
        .send({ name: 'x', scope: { state: ['completed'] }, delivery: 'kafka', kafka: kafka(broker) })]);
    }
    attempts.push(['subscription broker resolving to a private address', () => request(http).post(SUBSCRIPTIONS).set(ALPHA)
      .send({ name: 'x', scope: { state: ['completed'] }, delivery: 'kafka', kafka: kafka('private.test:9092') })]);
    const accepted: string[] = [];
    for (const [name, attempt] of attempts) {
      const response = await attempt();
      if (response.status !== 400) accepted.push(`${name} → ${response.status}`);
      else expect(response.body.message.join(' ')).toMatch(/auth\.tokenUrl|kafka\.brokers/);
    }
    expect(accepted).toEqual([]);
    expect((await request(strictOrders.http).get(`${ORDERS}/${order.id}/notifications`).set(ALPHA)).body).toEqual([]);
    expect((await request(http).get(SUBSCRIPTIONS).set(ALPHA)).body.filter((s: { name: string }) => s.name === 'x')).toEqual([]);
  });

  it('refuses at connect time a token URL and Kafka brokers on loopback that registration let through; nothing reaches them', async () => {
    const order = await createOrder(lenientOrders.http, {
      notifications: [
        { ...hook(`http://93.184.216.34:9/never-called`, { state: ['processing'] }), reference: 'oauth2',
          auth: { type: 'oauth2_client_credentials', tokenUrl: `http://127.0.0.1:${sink.port}/token`, clientId: 'c', clientSecret: 'ssrf-client-secret' } },
        { reference: 'kafka', delivery: 'kafka', kafka: { brokers: kafkaBrokers(), topic: `${topicPrefix('ssrf-kafka')}orders` }, scope: { state: ['processing'] } },
      ],
    });
    await setState(lenientOrders.http, order.id, 'processing');
    let events: EventRecord[] = [];
    await eventually(async () => {
      events = await allEvents(http, ALPHA, { orderId: order.id });
      return events.filter((e) => e.status === 'dead').length === 2;
    }, 30_000, () => JSON.stringify(events.map((e) => [e.request.url, e.status, e.error])));
    const dead = (reference: string) => events.find((e) => e.reference === reference && e.status === 'dead') as EventRecord;
    expect(dead('oauth2').error).toBe('oauth2 token endpoint: refused: private address');
    expect(dead('kafka').error).toMatch(/^kafka: .*refused to connect to 127\.0\.0\.1/);
    expect(sink.received()).toEqual([]);
  });

  it('refuses at connect time what slipped past registration: IP literals and names resolving to loopback; nothing reaches the target', async () => {
    const port = sink.port;
    const targets = [`http://127.0.0.1:${port}/literal`, `http://localhost:${port}/name`, `http://[::ffff:127.0.0.1]:${port}/mapped`];
    // Registered where private targets were allowed; delivered by a notification-service that refuses them.
    const order = await createOrder(lenientOrders.http, { notifications: targets.map((url) => hook(url, { state: ['processing'] })) });
    await setState(lenientOrders.http, order.id, 'processing');
    let events: EventRecord[] = [];
    await eventually(async () => {
      events = await allEvents(http, ALPHA, { orderId: order.id });
      return events.filter((e) => e.status === 'dead').length === targets.length;
    }, 20_000, () => JSON.stringify(events.map((e) => [e.request.url, e.status, e.error])));
    for (const event of events) expect(event.error).toBe('refused: private address');
    expect(sink.received()).toEqual([]);
  });

  it('refuses at connect time a name that resolved to a public address at registration and to loopback at send time (DNS rebinding)', async () => {
    const created = await request(http).post(SUBSCRIPTIONS).set(ALPHA)
      .send({ name: 'rebinding', scope: { state: ['accepted'] }, url: `http://rebind.test:${sink.port}/rebind` });
    expect({ status: created.status, body: created.body }).toMatchObject({ status: 201 });
    expect(dns.rebindLookups()).toBe(1);

    const order = await createOrder(strictOrders.http);
    await setState(strictOrders.http, order.id, 'processing');
    await setState(strictOrders.http, order.id, 'accepted');
    let events: EventRecord[] = [];
    await eventually(async () => {
      events = await allEvents(http, ALPHA, { orderId: order.id });
      return events.filter((e) => e.status === 'dead').length === 1;
    }, 20_000, () => JSON.stringify(events.map((e) => [e.request.url, e.status, e.error])));
    expect(events.map((e) => [e.subscriptionId, e.error])).toEqual(events.map(() => [created.body.id, 'refused: private address']));
    expect(dns.rebindLookups()).toBeGreaterThan(1);
    expect(sink.received()).toEqual([]);
  });
});

describe('SSRF: redirects are never followed', () => {
  let db: TestDatabase;
  let sink: RecordingSink;
  let orders: InProcessService;
  let notifications: InProcessService;

  beforeAll(async () => {
    db = await createTestDatabase();
    sink = await RecordingSink.start((r) => {
      if (r.path === '/to-metadata') return { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' } };
      if (r.path === '/to-internal') return { status: 307, headers: { location: sink.url('/internal') } };
      return { status: 200, body: 'internal data' };
    });
    // Private targets allowed (the sink is on loopback): even then a redirect is not followed.
    const env = { DATABASE_URL: db.url, RETRY_SCHEDULE: '50ms', ALLOW_PRIVATE_TARGETS: 'true' };
    orders = await startOrderService(env);
    notifications = await startNotificationService(env);
  });

  afterAll(async () => {
    await notifications?.close();
    await orders?.close();
    await sink?.close();
    await db?.drop();
  });

  it('records a redirect as a failed attempt naming the location, and never requests the location', async () => {
    const order = await createOrder(orders.http, {
      notifications: [hook(sink.url('/to-metadata'), { state: ['processing'] }), hook(sink.url('/to-internal'), { state: ['processing'] })],
    });
    await setState(orders.http, order.id, 'processing');
    let events: EventRecord[] = [];
    await eventually(async () => {
      events = await allEvents(notifications.http, ALPHA, { orderId: order.id });
      return events.filter((e) => e.status === 'dead').length === 2;
    }, 20_000, () => JSON.stringify(events.map((e) => [e.request.url, e.status, e.error])));
    const errors = new Set(events.map((e) => e.error));
    expect(errors).toEqual(new Set([
      'redirect (302) to http://169.254.169.254/latest/meta-data/iam/security-credentials/ not followed',
      `redirect (307) to ${sink.url('/internal')} not followed`,
    ]));
    expect(events.every((e) => e.statusCode === 302 || e.statusCode === 307)).toBe(true);
    expect(sink.received('/internal')).toEqual([]);
    expect(sink.received().map((r) => r.path).sort()).toEqual(['/to-internal', '/to-internal', '/to-metadata', '/to-metadata']);
  });
});
