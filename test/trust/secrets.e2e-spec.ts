import { DEMO_API_TOKENS, DEMO_ENCRYPTION_KEY, MASK } from '@ordercast/platform';
import { MAX_RESPONSE_BODY_BYTES } from '../../apps/notification-service/src/delivery/http-invoker';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import request from 'supertest';
import { freePort } from '../harness/kafka-broker';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers, readTopic } from '../support/kafka';
import { createTestPki } from '../support/tls-certificates';
import { RecordingSink } from './support/recording-sink';
import { ensureBuilt, ServiceProcess } from './support/service-process';
import { ALPHA, CHANNELS, connect, eventually, EVENTS, hook, NOTIFICATIONS, ORDERS, SUBSCRIPTIONS, topicPrefix, TRUST_ENV } from './support/services';

jest.setTimeout(120_000);

const token = (label: string) => `s3cr3t-${label}-${randomBytes(12).toString('hex')}`;
const BEARER = token('bearer');
const API_KEY = token('apikey');
const CUSTOM = token('custom');
const SIGNING_KEY = randomBytes(24).toString('base64');
const SIGNING_SECRET = `whsec_${SIGNING_KEY}`;
const SUBSCRIPTION_KEY = token('subscription');
const SUBSCRIPTION_SIGNING_KEY = randomBytes(24).toString('base64');
const URL_TOKEN = token('urltoken');
const SUBSCRIPTION_URL_KEY = token('suburlkey');
const CLIENT_SECRET = token('oauth2client');
const ACCESS_TOKEN = token('accesstoken');
const SASL_PASSWORD = token('saslpassword');
const PKI = createTestPki();
const CLIENT_CERTIFICATE = PKI.issue('ordercast-client');
/** A line of the client certificate's private key: the key is in no text outside the call. */
const PRIVATE_KEY_LINE = CLIENT_CERTIFICATE.privateKey.split('\n')[1];
/** Every value that must never be readable outside the request that carries it. */
const SECRETS = [
  BEARER, API_KEY, CUSTOM, SIGNING_KEY, SUBSCRIPTION_KEY, SUBSCRIPTION_SIGNING_KEY, URL_TOKEN, SUBSCRIPTION_URL_KEY,
  CLIENT_SECRET, ACCESS_TOKEN, SASL_PASSWORD, PRIVATE_KEY_LINE,
];
const HEADERS = { Authorization: `Bearer ${BEARER}`, 'X-API-Key': API_KEY, 'X-Custom-Token': CUSTOM };

/**
 * Registration header values (Authorization, X-API-Key, any other), signing secrets and credentials
 * in target URLs (`?access_token=`, `?API_KEY=`), given on every endpoint that takes them, go through
 * deliveries, failures, retries and manual sends with both services running as real processes at
 * LOG_LEVEL=debug. Afterwards the plaintext is found only where it belongs (the requests to the
 * targets), never in an API response, an Event, a log line, a database column, a body sent to
 * another receiver, or a change event on the Kafka topic.
 */
describe('secrets are encrypted at rest and masked everywhere (real processes, real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: ServiceProcess;
  let notifications: ServiceProcess;
  const prefix = topicPrefix('secrets');
  /** The text of every API response the test got. */
  const responses: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
    sql = await connect(db.url);
    sink = await RecordingSink.start((r) => {
      if (r.path === '/token') return { status: 200, body: JSON.stringify({ access_token: ACCESS_TOKEN, token_type: 'Bearer', expires_in: 3600 }) };
      return r.path.includes('fail') ? { status: 500, body: 'upstream broke' } : { status: 200, body: 'ok' };
    });
    const dir = mkdtempSync(join(tmpdir(), 'ordercast-secrets-'));
    const env = { ...TRUST_ENV, DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'debug', RETRY_SCHEDULE: '50ms,50ms' };
    [orders, notifications] = await Promise.all([
      ServiceProcess.start('order-service', env, join(dir, 'order-service.log')),
      ServiceProcess.start('notification-service', env, join(dir, 'notification-service.log')),
    ]);
  });

  afterAll(async () => {
    await notifications?.stop();
    await orders?.stop();
    await sink?.close();
    await sql?.end();
    await db?.drop();
    PKI.remove();
  });

  /** Calls the API and keeps the response text for the final check. */
  async function call(test: request.Test, status?: number): Promise<request.Response> {
    const response = await test;
    responses.push(response.text);
    if (status !== undefined) expect({ status: response.status, body: response.body }).toMatchObject({ status });
    return response;
  }

  it('never shows a header value, signing secret, URL credential or target credential in responses, Events, logs, tables, other bodies or the bus', async () => {
    const deadPort = await freePort();
    const registration = (path: string, extra: Record<string, unknown> = {}) =>
      hook(`${sink.url(path)}?format=json&access_token=${URL_TOKEN}`, { state: ['processing', 'accepted'] }, { headers: HEADERS, secret: SIGNING_SECRET, ...extra });

    // Every way a secret comes in.
    await call(request(orders.url).put(`${CHANNELS}/web/notifications`).set(ALPHA).send([registration('/channel')]), 200);
    const order = (await call(request(orders.url).post(ORDERS).set({ ...ALPHA, 'x-channel': 'web' })
      .send({ currency: 'SEK', cart: { items: [{ reference: 'a', name: 'A', quantity: 1, unitPrice: 10 }] }, notifications: [registration('/ok'), registration('/fail')] }), 201)).body;
    await call(request(orders.url).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
      .send({ invoke: `http://127.0.0.1:${deadPort}/refused`, scope: '/state/currentStatus', schema: { enum: ['processing'] }, headers: HEADERS, secret: SIGNING_SECRET }), 201);
    await call(request(orders.url).post(`${ORDERS}/${order.id}/payments`).set(ALPHA)
      .send({ adapterId: 'card', amount: 10, state: 'authorized', notifications: [registration('/payment')] }), 201);
    await call(request(orders.url).post(`${ORDERS}/${order.id}/shippings`).set(ALPHA)
      .send({ adapterId: 'post', state: 'intent', notifications: [registration('/shipping')] }), 201);
    // Target credentials: an OAuth2 client secret (and the token it gets), an mTLS private key, a Kafka SASL password.
    await call(request(orders.url).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send(hook(sink.url('/oauth2'), { state: ['accepted'] }, {
      auth: { type: 'oauth2_client_credentials', tokenUrl: sink.url('/token'), clientId: 'ordercast', clientSecret: CLIENT_SECRET },
    })), 201);
    await call(request(orders.url).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send(hook(`https://127.0.0.1:${deadPort}/mtls`, { state: ['accepted'] }, {
      auth: { type: 'mtls', ...CLIENT_CERTIFICATE },
    })), 201);
    await call(request(orders.url).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send({
      delivery: 'kafka', scope: { state: ['accepted'] },
      kafka: { brokers: kafkaBrokers(), topic: `${prefix}merchant-topic`, sasl: { mechanism: 'plain', username: 'ordercast', password: SASL_PASSWORD } },
    }), 201);
    await call(request(notifications.url).post(SUBSCRIPTIONS).set(ALPHA).send({
      name: 'erp with oauth2', scope: { state: ['accepted'] }, url: sink.url('/oauth2-subscription'),
      auth: { type: 'oauth2_client_credentials', tokenUrl: sink.url('/token'), clientId: 'ordercast', clientSecret: CLIENT_SECRET },
    }), 201);
    const subscription = (await call(request(notifications.url).post(SUBSCRIPTIONS).set(ALPHA)
      .send({ name: 'erp', scope: { state: ['processing'] }, url: `${sink.url('/subscription')}?API_KEY=${SUBSCRIPTION_URL_KEY}`, headers: { 'X-API-Key': SUBSCRIPTION_KEY }, secret: `whsec_${SUBSCRIPTION_SIGNING_KEY}` }), 201)).body;
    await call(request(notifications.url).patch(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).send({ headers: { 'X-API-Key': '********', Authorization: `Bearer ${BEARER}` } }), 200);
    // Refused requests carrying secrets: the error must not repeat them.
    await call(request(orders.url).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send({ ...registration('/bad'), scope: { state: ['nonsense'] } }), 400);
    await call(request(orders.url).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send({ ...registration('/bad'), headers: { 'X-API-Key': `${API_KEY}\r\nInjected: 1` } }), 400);
    await call(request(orders.url).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send({ ...registration('/bad'), secret: `whsec_${SIGNING_KEY}!` }), 400);
    await call(request(notifications.url).get(EVENTS).set({ 'x-merchant': 'alpha', authorization: `Bearer ${BEARER}` }), 401);

    // Deliveries that succeed, fail and are retried, to a refused port, manual sends and operator retries.
    await call(request(orders.url).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }), 200);
    await eventually(async () => {
      const events = (await call(request(notifications.url).get(EVENTS).query({ orderId: order.id, limit: 500 }).set(ALPHA))).body.data as { status: string }[];
      return events.filter((e) => e.status === 'dead').length === 2 && events.every((e) => e.status !== 'pending');
    }, 30_000, () => 'deliveries settled');
    const events = (await call(request(notifications.url).get(EVENTS).query({ orderId: order.id, limit: 500 }).set(ALPHA), 200)).body.data as { id: string; status: string }[];
    for (const event of events) await call(request(notifications.url).get(`${EVENTS}/${event.id}`).set(ALPHA), 200);
    await call(request(notifications.url).post(`${EVENTS}/${events.find((e) => e.status === 'dead')!.id}/retry`).set(ALPHA), 202);
    await call(request(notifications.url).post(`${EVENTS}/retry`).set(ALPHA).send({ status: 'dead' }), 202);
    await call(request(notifications.url).post(`${NOTIFICATIONS}/orders/${order.id}/trigger`).set(ALPHA).send({}), 202);
    await call(request(orders.url).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'accepted' }), 200);
    await sink.until(() => sink.received('/ok').length >= 3, 30_000, () => `${sink.received('/ok').length} deliveries to /ok`);
    await eventually(async () => {
      const all = (await call(request(notifications.url).get(EVENTS).query({ limit: 500 }).set(ALPHA))).body.data as { status: string }[];
      return all.every((e) => e.status !== 'pending');
    }, 30_000, () => 'everything settled');

    // Every read of the API (the dashboard reads the Events API and the subscriptions).
    const read = await call(request(orders.url).get(`${ORDERS}/${order.id}`).set(ALPHA), 200);
    expect(read.body.notifications.map((n: { url: string }) => n.url)).toContain(`${sink.url('/ok')}?format=********&access_token=********`);
    await call(request(orders.url).get(`${ORDERS}/${order.id}/notifications`).set(ALPHA), 200);
    await call(request(orders.url).get(`${CHANNELS}/web/notifications`).set(ALPHA), 200);
    await call(request(notifications.url).get(SUBSCRIPTIONS).set(ALPHA), 200);
    await call(request(notifications.url).get(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA), 200);
    const all = await call(request(notifications.url).get(EVENTS).query({ limit: 500 }).set(ALPHA), 200);
    for (const event of all.body.data as { id: string }[]) await call(request(notifications.url).get(`${EVENTS}/${event.id}`).set(ALPHA), 200);
    expect(JSON.stringify(all.body)).toContain('********');
    const urls = (all.body.data as { request: { url: string | null } }[]).map((event) => event.request.url);
    expect(urls).toContain(`${sink.url('/ok')}?format=********&access_token=********`);
    expect(urls).toContain(`${sink.url('/subscription')}?API_KEY=********`);
    // The Kafka and mTLS targets were attempted (and failed: no SASL on the broker, nothing on the port), their credentials opened.
    const attempts = all.body.data as { request: { url: string | null }; error: string | null }[];
    expect(attempts.some((e) => e.request.url?.startsWith('kafka://') && e.error?.startsWith('kafka: '))).toBe(true);
    expect(attempts.some((e) => e.request.url?.endsWith('/mtls') && e.error !== null)).toBe(true);

    // The secrets did reach the targets, so the checks below look for values that were really used.
    const used = sink.received('/ok')[0];
    expect(used.headers.authorization).toBe(`Bearer ${BEARER}`);
    expect(used.headers['x-api-key']).toBe(API_KEY);
    expect(used.headers['x-custom-token']).toBe(CUSTOM);
    expect(used.headers['webhook-signature']).toMatch(/^v1,/);
    expect(sink.received('/subscription')[0].headers.authorization).toBe(`Bearer ${BEARER}`);
    expect(sink.received('/oauth2')[0].headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`);
    expect(sink.received('/token')[0].headers.authorization).toBe(`Basic ${Buffer.from(`ordercast:${CLIENT_SECRET}`).toString('base64')}`);
    expect(used.url).toBe(`/ok?format=json&access_token=${URL_TOKEN}`);
    expect(sink.received('/subscription')[0].url).toBe(`/subscription?API_KEY=${SUBSCRIPTION_URL_KEY}`);
    // Another receiver sees the registration's URL as its scheme and host only in the order it gets.
    expect(sink.received('/payment')[0].body).toContain(`"url":"${new URL(sink.url('/ok')).origin}/********"`);
    // Nor which account, topic or user name another receiver has.
    expect(sink.received('/payment')[0].body).not.toMatch(new RegExp(`"clientId":"ordercast"|${prefix}merchant-topic|"username":"ordercast"`));

    const found = (where: string, text: string) => SECRETS.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret.slice(0, 16)}…`);
    expect(found('the request to the target', JSON.stringify(used.headers))).toHaveLength(3);
    const leaks = [
      ...responses.flatMap((text, index) => found(`response ${index}`, text)),
      ...found('order-service log', orders.log()),
      ...found('notification-service log', notifications.log()),
      // A receiver sees the order's other registrations with their headers masked, never their values.
      ...sink.received().flatMap((r) => found(`body sent to ${r.path}`, r.body)),
    ];
    // Every change event on the topic, byte for byte: sealed with the key both services share.
    const { rows: [outbox] } = await sql.query<{ count: number }>('SELECT count(*)::int AS count FROM orders.outbox');
    const published = await readTopic(kafkaBrokers(), `${prefix}checkout.order-events.v1`, { expected: outbox.count, timeoutMs: 30_000 });
    expect(published.length).toBeGreaterThanOrEqual(5);
    leaks.push(...published.flatMap((message) => found(`change event at offset ${message.offset}`, message.bytes.toString('latin1'))));
    expect(published.map((message) => message.bytes.toString('latin1')).join('\n')).toMatch(/"X-API-Key":"ocs1\./);
    const { rows: tables } = await sql.query<{ name: string }>(
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables WHERE table_schema IN ('orders', 'notifications') AND table_type = 'BASE TABLE'`);
    expect(tables.length).toBeGreaterThan(5);
    for (const { name } of tables) {
      const { rows } = await sql.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
      leaks.push(...rows.flatMap((row) => found(name, row.row)));
    }
    expect(leaks).toEqual([]);

    // Stored sealed (AES-GCM envelopes "ocs1.<key id>.…"), not merely absent.
    const { rows: [sealed] } = await sql.query<{ url: string; headers: Record<string, string>; secret: string }>(
      `SELECT url, headers, secret FROM notifications.messages WHERE url LIKE '%/ok?%' LIMIT 1`);
    expect(Object.values(sealed.headers).every((value) => value.startsWith('ocs1.'))).toBe(true);
    expect(sealed.secret.startsWith('ocs1.')).toBe(true);
    expect(sealed.url).toMatch(/\/ok\?format=ocs1\.[\w-]+\.[\w-]+&access_token=ocs1\.[\w-]+\.[\w-]+$/);
    expect(orders.log().length + notifications.log().length).toBeGreaterThan(1000);
  });

  /** Every Event of an order once none is pending, each read in full. */
  async function settledEvents(orderId: string): Promise<Record<string, unknown>[]> {
    await eventually(async () => {
      const events = (await call(request(notifications.url).get(EVENTS).query({ orderId, limit: 500 }).set(ALPHA))).body.data as { status: string }[];
      return events.length > 0 && events.every((e) => e.status !== 'pending');
    }, 30_000, () => `deliveries of ${orderId} settled`);
    const list = (await call(request(notifications.url).get(EVENTS).query({ orderId, limit: 500 }).set(ALPHA), 200)).body.data as { id: string }[];
    return Promise.all(list.map(async (event) => (await call(request(notifications.url).get(`${EVENTS}/${event.id}`).set(ALPHA), 200)).body as Record<string, unknown>));
  }

  const leaksOf = (secrets: string[], texts: [string, string][]) =>
    texts.flatMap(([where, text]) => secrets.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret.slice(0, 20)}…`));

  it('masks the query values of an OAuth2 token URL in responses and in the order other receivers get', async () => {
    const tenantKey = token('tokenurlkey');
    const before = responses.length;
    const order = (await call(request(orders.url).post(ORDERS).set({ ...ALPHA, 'x-channel': 'attack' }).send({
      currency: 'SEK', cart: { items: [{ reference: 'a', name: 'A', quantity: 1, unitPrice: 10 }] },
      notifications: [
        hook(sink.url('/oauth2-token-query'), { state: ['processing'] }, {
          auth: { type: 'oauth2_client_credentials', tokenUrl: `${sink.url('/token')}?tenant=${tenantKey}`, clientId: 'ordercast', clientSecret: CLIENT_SECRET },
        }),
        hook(sink.url('/token-query-observer'), { state: ['processing'] }),
      ],
    }), 201)).body;
    await call(request(orders.url).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }), 200);
    await sink.until(() => sink.received('/token-query-observer').length >= 1, 30_000, () => 'the other receiver got the change');
    const seen = sink.received('/token-query-observer')[0].body;
    expect(seen).toContain(`"tokenUrl":"${new URL(sink.url('/token')).origin}/********"`);
    expect(leaksOf([tenantKey], [['body sent to another receiver', seen], ...responses.slice(before).map((text, index): [string, string] => [`response ${index}`, text])])).toEqual([]);
  });

  it('treats every query value of a target URL as a credential, refuses fragments and path parameters, and shows other receivers no path', async () => {
    const [S2, S2b, S3, S14, S15, S17, S18] = ['amzsig', 'amzcred', 'foo', 'brackets', 'noname', 'semicolon', 'slackpath'].map(token);
    const query = `X-Amz-Signature=${S2}&X-Amz-Credential=${S2b}&foo=${S3}&token[]=${S14}&=${S15}&a=1;token=${S17}&order={order.id}`;
    const before = responses.length;
    const order = (await call(request(orders.url).post(ORDERS).set({ ...ALPHA, 'x-channel': 'attack' }).send({
      currency: 'SEK', cart: { items: [{ reference: 'a', name: 'A', quantity: 1, unitPrice: 10 }] },
      notifications: [
        hook(`${sink.url('/presigned')}?${query}`, { state: ['processing'] }), hook(sink.url('/other-receiver'), { state: ['processing'] }),
        // A Slack- or Discord-style incoming webhook: its secret is a path segment.
        hook(sink.url(`/services/T0AAA1111/B0BBB2222/${S18}`), { state: ['processing'] }),
      ],
    }), 201)).body;
    expect(order.notifications[0].url).toBe(`${sink.url('/presigned')}?X-Amz-Signature=********&X-Amz-Credential=********&foo=********&token[]=********&=********&a=********&order={order.id}`);
    for (const url of [`${sink.url('/x')}#token=${token('fragment')}`, `${sink.url('/x')};token=${token('matrix')}`]) {
      await call(request(orders.url).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA).send(hook(url, { state: ['processing'] })), 400);
    }
    await call(request(orders.url).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }), 200);
    const events = await settledEvents(order.id);

    // The target gets the URL as written, placeholders filled; nobody else sees a value of its query.
    expect(sink.received('/presigned')[0].url).toBe(`/presigned?${query.replace('{order.id}', order.id)}`);
    expect(events.map((event) => (event.request as { url: string }).url)).toContain(`${sink.url('/presigned')}?X-Amz-Signature=********&X-Amz-Credential=********&foo=********&token[]=********&=********&a=********&order=********`);
    const texts: [string, string][] = [
      ...responses.slice(before).map((text, index): [string, string] => [`response ${index}`, text]),
      ...sink.received('/other-receiver').map((r): [string, string] => ['body sent to another receiver', r.body]),
      ['order-service log', orders.log()], ['notification-service log', notifications.log()],
    ];
    const otherBody = sink.received('/other-receiver')[0].body;
    expect(otherBody).toContain(`"url":"${new URL(sink.url('/presigned')).origin}/********"`);
    expect(otherBody).not.toContain('/services/');
    expect(leaksOf([S2, S2b, S3, S14, S15, S17], texts)).toEqual([]);
    // The path secret reaches its own target; the merchant's own API shows it, no other receiver does.
    expect(sink.received(`/services/T0AAA1111/B0BBB2222/${S18}`)).toHaveLength(1);
    expect(leaksOf([S18], [['body sent to another receiver', otherBody], ['body sent to the presigned target', sink.received('/presigned')[0].body]])).toEqual([]);
  });

  it('masks every secret a request sent in what the target answered, and the credentials of a redirect', async () => {
    const [HEADER, URL_SECRET, REDIRECT, CUT] = ['echoed-header', 'echoed-url', 'redirect', 'cut'].map(token);
    // Quoted in JSON, it comes back escaped; cut at the response limit, only its first characters come back.
    const QUOTED = `q"${token('quoted')}\\/`;
    const KEY = randomBytes(24).toString('base64');
    // Encoders other than JSON.stringify: Python's json.dumps writes é as `\u00e9`, PHP's json_encode also `/` as `\/`.
    const ESCAPED = `sk_live/${token('escaped')}+é`;
    const ESCAPED_URL = `abc/${token('escapedurl')}`;
    const python = (value: string) => JSON.stringify(value).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const php = (value: string) => python(value).replace(/\//g, '\\/');
    sink.answer = (r) => {
      if (r.path === '/echo') return { status: 200, body: JSON.stringify({ url: r.url, headers: r.headers }) };
      if (r.path === '/escaped') {
        // Each quoted as the encoder writes it, and that quoted once more in a JSON answer.
        const quoted = { py: python(ESCAPED), php: php(ESCAPED), qphp: php(r.url) };
        return { status: 200, body: `{"once":{"py":${quoted.py},"php":${quoted.php},"qphp":${quoted.qphp}},"twice":${JSON.stringify(quoted)}}` };
      }
      if (r.path === '/cut') return { status: 500, body: `${'X'.repeat(MAX_RESPONSE_BODY_BYTES - 10)}${String(r.headers['x-cut-key'])}tail` };
      if (r.path === '/redirect') return { status: 302, headers: { location: `http://127.0.0.1:1/moved${r.url.slice(r.path.length)}` } };
      return r.path.includes('fail') ? { status: 500, body: 'upstream broke' } : { status: 200, body: 'ok' };
    };
    const before = responses.length;
    const order = (await call(request(orders.url).post(ORDERS).set({ ...ALPHA, 'x-channel': 'attack' }).send({
      currency: 'SEK', cart: { items: [{ reference: 'a', name: 'A', quantity: 1, unitPrice: 10 }] },
      notifications: [
        hook(`${sink.url('/echo')}?token=${URL_SECRET}`, { state: ['processing'] }, { headers: { 'X-Echo-Key': HEADER, 'X-Quoted-Key': QUOTED }, secret: `whsec_${KEY}` }),
        hook(sink.url('/cut'), { state: ['processing'] }, { headers: { 'X-Cut-Key': CUT } }),
        hook(`${sink.url('/redirect')}?token=${REDIRECT}`, { state: ['processing'] }),
        hook(`${sink.url('/escaped')}?token=${ESCAPED_URL}`, { state: ['processing'] }, { headers: { 'X-API-Key': ESCAPED } }),
      ],
    }), 201)).body;
    await call(request(orders.url).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }), 200);
    const events = await settledEvents(order.id);

    expect(sink.received('/echo')[0].headers['x-echo-key']).toBe(HEADER);
    const echoed = events.find((event) => String((event.request as { url: string }).url).includes('/echo'))!;
    expect(echoed.status).toBe('succeeded');
    expect(echoed.responseBody).toContain('"x-echo-key":"********"');
    expect(echoed.responseBody).toContain('/echo?token=********');
    expect(echoed.responseBody).toContain('"x-quoted-key":"********"');
    const cut = events.find((event) => String((event.request as { url: string }).url).includes('/cut'))!;
    expect(cut).toMatchObject({ statusCode: 500, responseTruncated: true });
    expect(cut.responseBody).toMatch(/X\*{8}$/);
    const redirected = events.find((event) => String((event.request as { url: string }).url).includes('/redirect'))!;
    expect(redirected.error).toBe('redirect (302) to http://127.0.0.1:1/moved?token=******** not followed');
    const escaped = events.find((event) => String((event.request as { url: string }).url).includes('/escaped'))!;
    expect(escaped.statusCode).toBe(200);
    expect(JSON.parse(escaped.responseBody as string)).toEqual({
      once: { py: MASK, php: MASK, qphp: `/escaped?token=${MASK}` },
      twice: { py: `"${MASK}"`, php: `"${MASK}"`, qphp: `"\\/escaped?token=${MASK}"` },
    });
    const texts = responses.slice(before).map((text, index): [string, string] => [`response ${index}`, text]);
    const escapedForms = [ESCAPED, ESCAPED_URL].flatMap((value) => [python(value), php(value)].map((form) => form.slice(1, -1)));
    expect(leaksOf([HEADER, URL_SECRET, REDIRECT, KEY, QUOTED, JSON.stringify(QUOTED).slice(1, -1), CUT.slice(0, 10), ...escapedForms], texts)).toEqual([]);
  });

  it('keeps masked secrets of a subscription only while its target stays on the same origin', async () => {
    const [KEPT, NEW] = ['sub-kept', 'sub-new'].map(token);
    const elsewhere = await RecordingSink.start();
    try {
      const subscription = (await call(request(notifications.url).post(SUBSCRIPTIONS).set(ALPHA)
        .send({ name: 'moving', scope: { state: ['completed'] }, url: sink.url('/sub-a'), headers: { 'X-Sub-Key': KEPT }, secret: `whsec_${randomBytes(24).toString('base64')}` }), 201)).body;
      const patch = (body: Record<string, unknown>) => request(notifications.url).patch(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA).send(body);
      // Another origin: the stored header value must not follow, masked or left out.
      const masked = await call(patch({ url: elsewhere.url('/exfiltrate'), headers: { 'X-Sub-Key': '********' } }), 400);
      expect(masked.body.message.join()).toMatch(/header "X-Sub-Key" is masked .* origin changed/);
      await call(patch({ url: elsewhere.url('/exfiltrate') }), 400);
      expect((await call(request(notifications.url).get(`${SUBSCRIPTIONS}/${subscription.id}`).set(ALPHA), 200)).body.url).toBe(sink.url('/sub-a'));
      // The same origin keeps it; another origin takes the value given again.
      await call(patch({ url: sink.url('/sub-b'), headers: { 'X-Sub-Key': '********' } }), 200);
      const complete = async () => {
        const order = (await call(request(orders.url).post(ORDERS).set({ ...ALPHA, 'x-channel': 'attack' }).send({ currency: 'SEK', cart: { items: [{ reference: 'a', name: 'A', quantity: 1, unitPrice: 10 }] } }), 201)).body;
        for (const state of ['processing', 'accepted', 'completed']) await call(request(orders.url).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: state }), 200);
      };
      await complete();
      await sink.until(() => sink.received('/sub-b').length > 0, 30_000, () => 'delivery to /sub-b');
      expect(sink.received('/sub-b')[0].headers['x-sub-key']).toBe(KEPT);
      await call(patch({ url: elsewhere.url('/moved'), headers: { 'X-Sub-Key': NEW } }), 200);
      await complete();
      await elsewhere.until(() => elsewhere.received('/moved').length > 0, 30_000, () => 'delivery to the new origin');
      expect(elsewhere.received('/moved')[0].headers['x-sub-key']).toBe(NEW);
      expect(elsewhere.received().flatMap((r) => [JSON.stringify(r.headers), r.url, r.body]).join('\n')).not.toContain(KEPT);
    } finally {
      await elsewhere.close();
    }
  });

  it('keeps the secrets of channel notifications read and put back, and never stores a masked value', async () => {
    const [KEY, URL_KEY] = ['channel-key', 'channel-url-key'].map(token);
    const SIGNING = randomBytes(24).toString('base64');
    const path = `${CHANNELS}/round-trip/notifications`;
    await call(request(orders.url).put(path).set(ALPHA).send([
      hook(`${sink.url('/channel-round-trip')}?key=${URL_KEY}`, { state: ['processing'] }, { reference: 'erp', headers: { 'x-api-key': KEY }, secret: `whsec_${SIGNING}` }),
    ]), 200);
    const shown = (await call(request(orders.url).get(path).set(ALPHA), 200)).body as Record<string, unknown>[];
    expect(shown[0]).toMatchObject({ url: `${sink.url('/channel-round-trip')}?key=********`, headers: { 'x-api-key': '********' }, secret: 'whsec_********' });
    // Put back elsewhere, or as another notification, the masked values have nothing to keep.
    const moved = await call(request(orders.url).put(path).set(ALPHA).send([{ ...shown[0], url: 'http://127.0.0.1:1/x?key=********' }]), 400);
    expect(moved.body.message.join()).toMatch(/x-api-key.*origin changed/);
    await call(request(orders.url).put(path).set(ALPHA).send([{ ...shown[0], id: undefined, reference: 'other' }]), 400);
    // Put back as shown, edited: the stored values stay, and so does the id.
    const saved = (await call(request(orders.url).put(path).set(ALPHA).send([{ ...shown[0], description: 'edited' }]), 200)).body;
    expect(saved[0]).toMatchObject({ id: shown[0].id, description: 'edited' });

    const order = (await call(request(orders.url).post(ORDERS).set({ ...ALPHA, 'x-channel': 'round-trip' })
      .send({ currency: 'SEK', cart: { items: [{ reference: 'a', name: 'A', quantity: 1, unitPrice: 10 }] } }), 201)).body;
    await call(request(orders.url).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }), 200);
    await sink.until(() => sink.received('/channel-round-trip').length > 0, 30_000, () => 'delivery of the channel notification');
    const [delivered] = sink.received('/channel-round-trip');
    expect(delivered.headers['x-api-key']).toBe(KEY);
    expect(delivered.url).toBe(`/channel-round-trip?key=${URL_KEY}`);
    const signed = `${delivered.headers['webhook-id']}.${delivered.headers['webhook-timestamp']}.${delivered.body}`;
    expect(delivered.headers['webhook-signature']).toBe(`v1,${createHmac('sha256', Buffer.from(SIGNING, 'base64')).update(signed).digest('base64')}`);
  });
});

/**
 * The demo token and the built-in encryption key are published: each service refuses to start on
 * them, naming the variable, as a real process from the compiled output. Only the embedded default
 * launcher (`npm start`) runs on them, and says so in code rather than through a variable.
 */
describe('demo secrets (real processes)', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'ordercast-demo-secrets-'));
  const { API_TOKENS: _tokens, ENCRYPTION_KEY: _key, ...withoutSecrets } = TRUST_ENV;

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await db?.drop();
  });

  it.each([
    ['order-service', 'API_TOKENS', { ENCRYPTION_KEY: TRUST_ENV.ENCRYPTION_KEY }],
    ['order-service', 'API_TOKENS', { API_TOKENS: DEMO_API_TOKENS, ENCRYPTION_KEY: TRUST_ENV.ENCRYPTION_KEY }],
    ['order-service', 'ENCRYPTION_KEY', { API_TOKENS: TRUST_ENV.API_TOKENS }],
    ['notification-service', 'API_TOKENS', { API_TOKENS: DEMO_API_TOKENS, ENCRYPTION_KEY: TRUST_ENV.ENCRYPTION_KEY }],
    ['notification-service', 'ENCRYPTION_KEY', { API_TOKENS: TRUST_ENV.API_TOKENS, ENCRYPTION_KEY: DEMO_ENCRYPTION_KEY }],
  ] as const)('%s refuses to start on the demo %s, naming it', async (service, variable, secrets) => {
    const log = join(dir, `${service}-${variable}-${randomBytes(4).toString('hex')}.log`);
    const started = ServiceProcess.start(service, { ...withoutSecrets, ...secrets, DATABASE_URL: db.url }, log);
    await expect(started).rejects.toThrow(`${variable}: not set, or holds the`);
    expect(readFileSync(log, 'utf8')).toContain(`${service} failed to start`);
  });

  it('the embedded default launcher still starts on them, both services answering the demo token', async () => {
    const [orderPort, notificationPort] = [await freePort(), await freePort()];
    const log = join(dir, 'launcher.log');
    const output = openSync(log, 'a');
    const launcher = spawn(process.execPath, ['-r', './scripts/paths.js', 'dist/scripts/start.js'], {
      cwd: join(__dirname, '..', '..'),
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, ORDER_SERVICE_PORT: String(orderPort), NOTIFICATION_SERVICE_PORT: String(notificationPort) },
      stdio: ['ignore', output, output],
    });
    closeSync(output);
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
    try {
      const demo = { 'x-merchant': 'demo', authorization: 'Bearer demo-token' };
      await eventually(async () => {
        if (launcher.exitCode !== null) throw new Error(`the launcher exited:\n${readFileSync(log, 'utf8')}`);
        const answers = await Promise.all([
          fetch(`http://127.0.0.1:${orderPort}${ORDERS}/00000000-0000-4000-8000-000000000000`, { headers: demo }).then((r) => r.status, () => 0),
          fetch(`http://127.0.0.1:${notificationPort}${EVENTS}`, { headers: demo }).then((r) => r.status, () => 0),
        ]);
        return answers[0] === 404 && answers[1] === 200;
      }, 60_000, () => readFileSync(log, 'utf8'));
      expect(readFileSync(log, 'utf8')).toContain('demo merchant / token  demo / demo-token');
    } finally {
      launcher.kill('SIGTERM');
      await exited;
    }
  });
});
