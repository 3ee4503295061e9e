import { createServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import request from 'supertest';
import type { Order, Registration } from '@ordercast/contracts';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { OAuth2Mock } from '../support/oauth2-mock';
import { ALPHA, CHANNELS, EVENTS, NOTIFICATIONS, ORDERS, startSystem, System } from '../support/system';
import { createTestPki, TestPki } from '../support/tls-certificates';

jest.setTimeout(120_000);

const CLIENT_SECRET = 'oauth2-client-s3cret-value';

/**
 * Authenticated targets through both services: a real OAuth2 token endpoint (oauth2-mock-server in
 * a child process) and a real TLS server that demands a client certificate from a CA made here.
 */
describe('authenticated targets: OAuth2 client credentials and mutual TLS', () => {
  let system: System;
  let oauth2: OAuth2Mock;
  let pki: TestPki;
  let tlsTarget: HttpsServer;
  const tlsRequests: Array<{ path: string; clientSubject: string | null }> = [];

  beforeAll(async () => {
    pki = createTestPki();
    oauth2 = await OAuth2Mock.start(CLIENT_SECRET);
    tlsTarget = createServer({ cert: pki.server.certificate, key: pki.server.privateKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      tlsRequests.push({ path: req.url ?? '', clientSubject: String(peer?.subject?.CN ?? '') || null });
      req.resume().on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => tlsTarget.listen(0, '127.0.0.1', resolve));
    system = await startSystem('in-process', { TARGET_CA_FILE: pki.caFile });
  });

  afterAll(async () => {
    await system?.close();
    await oauth2?.close();
    tlsTarget?.closeAllConnections();
    await new Promise<void>((resolve) => (tlsTarget ? tlsTarget.close(() => resolve()) : resolve()));
    pki?.remove();
  });

  const oauth2Auth = (clientId: string, extra: Record<string, string> = {}) => ({
    type: 'oauth2_client_credentials', tokenUrl: oauth2.tokenUrl, clientId, clientSecret: CLIENT_SECRET, ...extra,
  });

  async function completeOrder(notifications: Record<string, unknown>[]): Promise<Order> {
    const order = await system.createOrder({ notifications });
    for (const state of ['processing', 'accepted', 'completed']) await system.setState(order.id, state);
    return order;
  }

  const firstAttemptDone = (event: EventRecord) => event.attempt === 1 && event.status !== 'pending';
  const tlsUrl = (path: string) => `https://127.0.0.1:${(tlsTarget.address() as AddressInfo).port}${path}`;

  it('fetches one token (Basic client authentication, form body) for several deliveries and sends it as a Bearer token', async () => {
    const clientId = 'erp-client';
    const order = await completeOrder([{
      url: system.sink.url('/oauth2/erp'), scope: { state: ['processing', 'accepted', 'completed'] },
      auth: oauth2Auth(clientId, { scope: 'orders.write', audience: 'https://erp.example.com' }),
    }]);
    const received = await system.sink.waitFor(3, 20_000, '/oauth2/erp');
    const events = await system.eventsOf(order.id, { count: 3, until: (event) => event.status === 'succeeded' });

    const tokens = oauth2.requestsOf(clientId);
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ status: 200, grantType: 'client_credentials', scope: 'orders.write', audience: 'https://erp.example.com', contentType: 'application/x-www-form-urlencoded' });
    expect(received.map((r) => r.headers.authorization)).toEqual(Array(3).fill(`Bearer ${tokens[0].token}`));

    for (const event of events) expect(event.request.headers.Authorization).toBe('Bearer ********');
    const shown = JSON.stringify(events) + JSON.stringify((await request(system.ordersHttp).get(`${ORDERS}/${order.id}`).set(ALPHA)).body);
    expect(shown).not.toContain(CLIENT_SECRET);
    expect(shown).not.toContain(tokens[0].token);
    for (const r of received) expect(r.body).not.toContain(CLIENT_SECRET);
  });

  it('fetches a new token once when the target answers 401, and the delivery succeeds with it', async () => {
    const clientId = 'refresh-client';
    system.sink.respond('/oauth2/refresh', 401, 200);
    const order = await completeOrder([{ url: system.sink.url('/oauth2/refresh'), scope: { state: ['completed'] }, auth: oauth2Auth(clientId) }]);
    const [event] = await system.eventsOf(order.id);

    expect(event).toMatchObject({ status: 'succeeded', statusCode: 200, attempt: 1 });
    const tokens = oauth2.requestsOf(clientId);
    expect(tokens).toHaveLength(2);
    expect(system.sink.received('/oauth2/refresh').map((r) => r.headers.authorization)).toEqual(tokens.map((t) => `Bearer ${t.token}`));
  });

  it('authenticates the notifications a channel attaches and those registered with a payment', async () => {
    const channel = `oauth2-${Date.now()}`;
    await request(system.ordersHttp).put(`${CHANNELS}/${channel}/notifications`).set(ALPHA)
      .send([{ url: system.sink.url('/oauth2/channel'), scope: { state: ['processing'] }, auth: oauth2Auth('channel-client') }]).expect(200);
    const order = await system.createOrder({}, channel);
    await request(system.ordersHttp).post(`${ORDERS}/${order.id}/payments`).set(ALPHA)
      .send({ adapterId: 'card', amount: 100, state: 'intent', notifications: [{ url: system.sink.url('/oauth2/payment'), scope: { payment: ['authorized'] }, auth: oauth2Auth('payment-client') }] })
      .expect(201);
    await system.setState(order.id, 'processing');
    const [payment] = (await request(system.ordersHttp).get(`${ORDERS}/${order.id}`).set(ALPHA)).body.payments as { id: string }[];
    await request(system.ordersHttp).patch(`${ORDERS}/${order.id}/payments/${payment.id}`).set(ALPHA).send({ state: 'authorized' }).expect(200);

    const [fromChannel] = await system.sink.waitFor(1, 20_000, '/oauth2/channel');
    const [fromPayment] = await system.sink.waitFor(1, 20_000, '/oauth2/payment');
    expect(fromChannel.headers.authorization).toBe(`Bearer ${oauth2.requestsOf('channel-client')[0].token}`);
    expect(fromPayment.headers.authorization).toBe(`Bearer ${oauth2.requestsOf('payment-client')[0].token}`);
    const shown = await request(system.ordersHttp).get(`${CHANNELS}/${channel}/notifications`).set(ALPHA);
    expect(shown.body[0].auth.clientSecret).toBe('********');
  });

  it('records a token endpoint refusal on the Event and does not call the target', async () => {
    const order = await completeOrder([{ url: system.sink.url('/oauth2/refused'), scope: { state: ['completed'] }, auth: oauth2Auth('rejected-client') }]);
    const events = await system.eventsOf(order.id, { until: firstAttemptDone });
    const event = events.find((e) => e.attempt === 1) as EventRecord;

    expect(event.status).toBe('failed');
    expect(event.statusCode).toBeNull();
    expect(event.error).toBe('oauth2 token endpoint answered 401: invalid_client');
    expect(system.sink.received('/oauth2/refused')).toHaveLength(0);
  });

  it('shows the client secret masked on the order and in the registration response', async () => {
    const order = await system.createOrder();
    const created = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
      .send({ url: system.sink.url('/x'), scope: { state: ['completed'] }, auth: oauth2Auth('shown-client') });
    expect(created.status).toBe(201);
    expect(created.body.auth).toEqual({ ...oauth2Auth('shown-client'), clientSecret: '********', scope: null, audience: null });
  });

  it('presents the client certificate to a target that requires one; the same target refuses a call without it', async () => {
    const client = pki.issue('erp.merchant-alpha');
    const order = await completeOrder([
      { reference: 'with-cert', url: tlsUrl('/mtls/with'), scope: { state: ['completed'] }, auth: { type: 'mtls', ...client } },
      { reference: 'without-cert', url: tlsUrl('/mtls/without'), scope: { state: ['completed'] } },
    ]);
    const events = await system.eventsOf(order.id, { count: 2, until: firstAttemptDone });
    const byReference = (reference: string) => events.find((event) => event.reference === reference && event.attempt === 1) as EventRecord;

    expect(byReference('with-cert')).toMatchObject({ status: 'succeeded', statusCode: 200 });
    expect(tlsRequests).toEqual([{ path: '/mtls/with', clientSubject: 'erp.merchant-alpha' }]);
    expect(byReference('without-cert').status).toBe('failed');
    expect(byReference('without-cert').error).toEqual(expect.any(String));

    const shown = (await request(system.ordersHttp).get(`${ORDERS}/${order.id}`).set(ALPHA)).body as Order;
    const auth = shown.notifications.find((registration) => registration.reference === 'with-cert')?.auth;
    expect(auth).toMatchObject({ type: 'mtls', privateKey: '********', subject: 'CN=erp.merchant-alpha', fingerprint: expect.stringMatching(/^[0-9A-F:]{95}$/) });
    expect(JSON.stringify(shown) + JSON.stringify(events)).not.toContain(client.privateKey.split('\n')[1]);
  });

  it('refuses a certificate whose key does not belong to it, and a token URL that is not http(s), with 400 and nothing stored', async () => {
    const order = await system.createOrder();
    const one = pki.issue('one');
    const other = pki.issue('other');
    const mismatched = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
      .send({ url: tlsUrl('/x'), scope: { state: ['completed'] }, auth: { type: 'mtls', certificate: one.certificate, privateKey: other.privateKey } });
    expect(mismatched.status).toBe(400);
    expect(mismatched.body.message.join(' ')).toContain('auth.privateKey is not the key of auth.certificate');

    const badPem = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
      .send({ url: tlsUrl('/x'), scope: { state: ['completed'] }, auth: { type: 'mtls', certificate: 'not a certificate', privateKey: one.privateKey } });
    expect(badPem.status).toBe(400);

    const badTokenUrl = await request(system.ordersHttp).post(`${ORDERS}/${order.id}/notifications`).set(ALPHA)
      .send({ url: system.sink.url('/x'), scope: { state: ['completed'] }, auth: { ...oauth2Auth('c'), tokenUrl: 'ftp://tokens.example.com/token' } });
    expect(badTokenUrl.status).toBe(400);

    const stored = await request(system.ordersHttp).get(`${ORDERS}/${order.id}/notifications`).set(ALPHA);
    expect(stored.body as Registration[]).toEqual([]);
  });

  it('authenticates a subscription the same way, masks its client secret and keeps it when sent back masked', async () => {
    const created = await request(system.notificationsHttp).post(`${NOTIFICATIONS}/subscriptions`).set(ALPHA)
      .send({ name: 'ERP with OAuth2', scope: { state: ['completed'] }, url: system.sink.url('/oauth2/subscription'), auth: oauth2Auth('subscription-client') });
    expect(created.status).toBe(201);
    expect(created.body.auth.clientSecret).toBe('********');
    // Sent back as shown (secret masked), auth keeps the stored secret: the token endpoint still accepts the client below.
    const patched = await request(system.notificationsHttp).patch(`${NOTIFICATIONS}/subscriptions/${created.body.id}`).set(ALPHA)
      .send({ auth: { type: 'oauth2_client_credentials', tokenUrl: oauth2.tokenUrl, clientId: 'subscription-client', clientSecret: '********' } });
    expect(patched.status).toBe(200);
    try {
      const order = await completeOrder([]);
      const [delivered] = await system.sink.waitFor(1, 20_000, '/oauth2/subscription');
      const tokens = oauth2.requestsOf('subscription-client');
      expect(tokens).toEqual([expect.objectContaining({ status: 200 })]);
      expect(delivered.headers.authorization).toBe(`Bearer ${tokens[0].token}`);
      const events = await request(system.notificationsHttp).get(EVENTS).query({ orderId: order.id }).set(ALPHA);
      expect(JSON.stringify(events.body)).not.toContain(CLIENT_SECRET);
    } finally {
      await request(system.notificationsHttp).patch(`${NOTIFICATIONS}/subscriptions/${created.body.id}`).set(ALPHA).send({ enabled: false });
    }
  });

  it('keeps a masked client secret only while the target and the token URL keep their origins (400 naming it otherwise)', async () => {
    const created = await request(system.notificationsHttp).post(`${NOTIFICATIONS}/subscriptions`).set(ALPHA)
      .send({ name: 'OAuth2 moving', scope: { state: ['completed'] }, url: system.sink.url('/oauth2/moving'), auth: oauth2Auth('moving-client'), enabled: false });
    expect(created.status).toBe(201);
    const patch = (body: Record<string, unknown>) => request(system.notificationsHttp).patch(`${NOTIFICATIONS}/subscriptions/${created.body.id}`).set(ALPHA).send(body);
    const masked = { type: 'oauth2_client_credentials', tokenUrl: oauth2.tokenUrl, clientId: 'moving-client', clientSecret: '********' };

    // The token would go to another target, or the secret to another token endpoint.
    const moved = await patch({ url: 'http://localhost:1/exfiltrate' });
    expect(moved.status).toBe(400);
    expect(moved.body.message).toEqual(['auth.clientSecret is masked (********) and the target origin changed: give its value']);
    const otherTokenUrl = await patch({ auth: { ...masked, tokenUrl: 'http://localhost:1/token' } });
    expect(otherTokenUrl.status).toBe(400);
    expect(otherTokenUrl.body.message).toEqual(['auth.clientSecret is masked (********) and the token URL origin changed: give its value']);
    expect((await request(system.notificationsHttp).get(`${NOTIFICATIONS}/subscriptions/${created.body.id}`).set(ALPHA)).body.url).toBe(system.sink.url('/oauth2/moving'));

    // The same origins keep it; another origin takes the secret given again.
    expect((await patch({ url: system.sink.url('/oauth2/moved-within'), auth: masked })).status).toBe(200);
    expect((await patch({ url: 'http://localhost:1/elsewhere', auth: { ...masked, clientSecret: 'given-again' } })).status).toBe(200);
    const fresh = await request(system.notificationsHttp).post(`${NOTIFICATIONS}/subscriptions`).set(ALPHA)
      .send({ name: 'masked on create', scope: { state: ['completed'] }, url: system.sink.url('/x'), auth: masked });
    expect(fresh.status).toBe(400);
  });

  it('keeps the client secret of a channel notification read and put back as shown, and still authenticates with it', async () => {
    const channel = `oauth2-round-trip-${Date.now()}`;
    await request(system.ordersHttp).put(`${CHANNELS}/${channel}/notifications`).set(ALPHA)
      .send([{ url: system.sink.url('/oauth2/round-trip'), scope: { state: ['processing'] }, auth: oauth2Auth('round-trip-client') }]).expect(200);
    const shown = await request(system.ordersHttp).get(`${CHANNELS}/${channel}/notifications`).set(ALPHA);
    expect(shown.body[0].auth.clientSecret).toBe('********');
    await request(system.ordersHttp).put(`${CHANNELS}/${channel}/notifications`).set(ALPHA).send(shown.body).expect(200);

    const order = await system.createOrder({}, channel);
    await system.setState(order.id, 'processing');
    const [delivered] = await system.sink.waitFor(1, 20_000, '/oauth2/round-trip');
    const tokens = oauth2.requestsOf('round-trip-client');
    expect(tokens).toEqual([expect.objectContaining({ status: 200 })]);
    expect(delivered.headers.authorization).toBe(`Bearer ${tokens[0].token}`);
  });
});
