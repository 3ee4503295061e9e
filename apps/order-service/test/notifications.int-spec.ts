import { WEBHOOK_SECRET_BASE64_RULE } from '@ordercast/contracts';
import request from 'supertest';
import {
  ALPHA, BETA, createOrder, ERP_KEY, expectNothingChanged, ORDERS, registration, SIGNING_SECRET, startOrderService, startSuite,
  Suite, UNKNOWN_ID, WEB, OrderService, orderRequest, outboxCount,
} from './order-service.fixture';

describe('notifications registered on an order', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite()));
  afterAll(() => suite.close());

  const notifications = (orderId: string) => `${ORDERS}/${orderId}/notifications`;
  const register = (orderId: string, body: object, headers = ALPHA) => request(suite.http).post(notifications(orderId)).set(headers).send(body);

  it('registers the documentation form and answers with the id, headers and secret masked', async () => {
    const order = await createOrder(suite.http);
    const response = await register(order.id, registration());
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      reference: null,
      description: null,
      adapterId: null,
      url: 'https://erp.example.com/api/orders/{order.id}/import',
      method: 'POST',
      headers: { 'X-API-Key': '********', Accept: 'application/json' },
      scope: [{ pointer: '/state/currentStatus', schema: { enum: ['completed'] } }],
      payload: 'full',
      delivery: 'webhook',
      email: null,
      secret: 'whsec_********',
      auth: null,
      kafka: null,
      ordered: false,
      source: 'order',
      createdAt: expect.any(String),
    });
  });

  it('lets an order collect at most 128 distinct scope schemas over many requests, and refuses the one past that with 400 and nothing stored', async () => {
    const order = await createOrder(suite.http);
    const watches = (from: number) => Array.from({ length: 64 }, (_, i) => ({ pointer: '/customer/tier', schema: { const: from + i } }));
    await register(order.id, { url: 'https://erp.example.com/a', scope: watches(0) }).expect(201);
    // The same schemas again are no new ones to compile.
    await register(order.id, { url: 'https://erp.example.com/b', scope: watches(0) }).expect(201);
    await register(order.id, { url: 'https://erp.example.com/c', scope: watches(64) }).expect(201);
    const before = await outboxCount(suite.sql);
    const refused = await register(order.id, { url: 'https://erp.example.com/d', scope: [{ pointer: '/customer/tier', schema: { const: 'one more' } }] });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toEqual(["an order's notifications may carry at most 128 distinct scope schemas; these would carry 129"]);
    expect(await outboxCount(suite.sql)).toBe(before);
    const listed = await request(suite.http).get(notifications(order.id)).set(ALPHA);
    expect(listed.body).toHaveLength(3);
  });

  it('counts a schema the order already carries as none new, whatever the order of its keys, also at the limit', async () => {
    // Written through jsonb at creation, { const, type } comes back as { type, const }.
    const watches = (from: number) => Array.from({ length: 64 }, (_, i) => ({ pointer: '/customer/tier', schema: { const: from + i, type: 'integer' } }));
    const order = await createOrder(suite.http, { notifications: [{ url: 'https://erp.example.com/a', scope: watches(0) }] });
    await register(order.id, { url: 'https://erp.example.com/b', scope: watches(64) }).expect(201);
    await register(order.id, { url: 'https://erp.example.com/c', scope: [{ pointer: '/customer/tier', schema: { const: 5, type: 'integer' } }] }).expect(201);
  });

  it('keeps ordered: true on a registration', async () => {
    const order = await createOrder(suite.http);
    const response = await register(order.id, registration({ ordered: true }));
    expect(response.status).toBe(201);
    expect(response.body.ordered).toBe(true);
    const listed = await request(suite.http).get(notifications(order.id)).set(ALPHA);
    expect(listed.body.map((r: { ordered: boolean }) => r.ordered)).toEqual([true]);
  });

  it('registers the API form', async () => {
    const order = await createOrder(suite.http);
    const response = await register(order.id, {
      reference: 'erp-export', adapterId: 'erp', invoke: 'https://erp.example.com/import', scope: '/state/currentStatus', schema: { enum: ['completed'] },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ reference: 'erp-export', adapterId: 'erp', url: 'https://erp.example.com/import', headers: {}, secret: null });
  });

  it('lists the registrations masked, and GET on the order masks them too', async () => {
    const order = await createOrder(suite.http, { notifications: [registration({ reference: 'at-create' })] });
    const added = (await register(order.id, registration({ reference: 'later', delivery: 'poll', url: undefined }))).body;
    const list = await request(suite.http).get(notifications(order.id)).set(ALPHA);
    expect(list.status).toBe(200);
    expect(list.body.map((n: { reference: string }) => n.reference)).toEqual(['at-create', 'later']);
    expect(list.body[1]).toEqual(added);
    const read = await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA);
    expect(read.body.notifications).toEqual(list.body);
    for (const body of [list.body, read.body, order]) {
      expect(JSON.stringify(body)).not.toContain(ERP_KEY);
      expect(JSON.stringify(body)).not.toContain(SIGNING_SECRET);
    }
  });

  it('writes one order.notifications.changed event per registration and removal', async () => {
    const order = await createOrder(suite.http);
    const added = (await register(order.id, registration())).body;
    expect((await request(suite.http).delete(`${notifications(order.id)}/${added.id}`).set(ALPHA)).status).toBe(204);
    const { rows } = await suite.sql.query("SELECT payload FROM orders.outbox WHERE order_id = $1 AND payload->>'type' = 'order.notifications.changed' ORDER BY seq", [order.id]);
    expect(rows.map((row) => row.payload.change)).toEqual([
      { kind: 'notifications', added: [added.id], removed: [] },
      { kind: 'notifications', added: [], removed: [added.id] },
    ]);
    expect(rows[1].payload.previous).not.toHaveProperty('notifications');
    expect(rows[1].payload.order.notifications).toEqual([]);
  });

  it('keeps header values and secrets encrypted in every table', async () => {
    const order = await createOrder(suite.http, { notifications: [registration()] });
    await register(order.id, registration());
    await request(suite.http).put('/api/v0/checkout/channels/encrypted/notifications').set(ALPHA).send([registration()]);
    const tables = await suite.sql.query(`
      SELECT document::text AS stored FROM orders.orders WHERE id = $1
      UNION ALL SELECT payload::text FROM orders.outbox WHERE order_id = $1
      UNION ALL SELECT registrations::text FROM orders.channel_notifications WHERE channel = 'encrypted'`, [order.id]);
    expect(tables.rows.length).toBe(4);
    for (const { stored } of tables.rows) {
      expect(stored).not.toContain(ERP_KEY);
      expect(stored).not.toContain(SIGNING_SECRET);
      expect(stored).toMatch(/"X-API-Key": ?"ocs1\.[\w-]{8}\./);
    }
  });

  it('seals credentials in a target URL at rest and masks them in every response', async () => {
    const token = 'url-token-7f3a9c';
    const apiKey = 'url-api-key-19be';
    const url = `https://erp.example.com/api/orders/{order.id}/import?format=json&Token=${token}&api_key=${apiKey}`;
    const masked = 'https://erp.example.com/api/orders/{order.id}/import?format=********&Token=********&api_key=********';
    const order = await createOrder(suite.http, { notifications: [registration({ url })] });
    const added = await register(order.id, registration({ invoke: url, url: undefined, scope: '/state/currentStatus' }));
    const channel = await request(suite.http).put('/api/v0/checkout/channels/url-credentials/notifications').set(ALPHA).send([registration({ url })]);
    const read = await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA);
    const list = await request(suite.http).get(notifications(order.id)).set(ALPHA);
    expect(order.notifications[0].url).toBe(masked);
    expect(added.body.url).toBe(masked);
    expect(channel.body[0].url).toBe(masked);
    expect(read.body.notifications.map((n: { url: string }) => n.url)).toEqual([masked, masked]);
    expect(list.body.map((n: { url: string }) => n.url)).toEqual([masked, masked]);

    const tables = await suite.sql.query(`
      SELECT document::text AS stored FROM orders.orders WHERE id = $1
      UNION ALL SELECT payload::text FROM orders.outbox WHERE order_id = $1
      UNION ALL SELECT registrations::text FROM orders.channel_notifications WHERE channel = 'url-credentials'`, [order.id]);
    expect(tables.rows.length).toBe(4);
    for (const { stored } of tables.rows) {
      expect(stored).not.toContain(token);
      expect(stored).not.toContain(apiKey);
      expect(stored).toMatch(/format=ocs1\.[\w-]+\.[\w-]+&Token=ocs1\.[\w-]+\.[\w-]+&api_key=ocs1\./);
    }
  });

  it('masks the query values of an OAuth2 token URL in every response, and keeps them when a channel puts the masked one back', async () => {
    const tokenUrl = 'https://login.example.com/token?x=LOGQ4&tenant=T9';
    const masked = 'https://login.example.com/token?x=********&tenant=********';
    const auth = { type: 'oauth2_client_credentials', tokenUrl, clientId: 'cid', clientSecret: 'LOGCS1' };
    const order = await createOrder(suite.http, { notifications: [registration({ auth })] });
    const added = await register(order.id, registration({ auth }));
    const channelPath = '/api/v0/checkout/channels/token-url/notifications';
    const channel = await request(suite.http).put(channelPath).set(ALPHA).send([registration({ auth })]);
    const read = await request(suite.http).get(`${ORDERS}/${order.id}`).set(ALPHA);
    const list = await request(suite.http).get(notifications(order.id)).set(ALPHA);
    expect(added.status).toBe(201);
    const shown = [order.notifications[0], added.body, channel.body[0], ...read.body.notifications, ...list.body].map((n: { auth: object }) => n.auth);
    expect(shown).toEqual(Array(7).fill({ ...auth, tokenUrl: masked, clientSecret: '********', scope: null, audience: null }));
    expect(JSON.stringify([order, added.body, channel.body, read.body, list.body])).not.toMatch(/LOGQ4|T9|LOGCS1/);

    const putBack = await request(suite.http).put(channelPath).set(ALPHA).send(channel.body);
    expect(putBack.status).toBe(200);
    const { rows: [stored] } = await suite.sql.query(`SELECT registrations::text AS stored FROM orders.channel_notifications WHERE channel = 'token-url'`);
    expect(stored.stored).toContain(tokenUrl);
    const moved = await request(suite.http).put(channelPath).set(ALPHA).send([{ ...channel.body[0], auth: { ...channel.body[0].auth, tokenUrl: 'https://other.example.com/token?x=********' } }]);
    expect(moved.status).toBe(400);
    expect(moved.body.message).toContain('auth.tokenUrl query parameter "x" is masked (********) and the token URL origin changed: give its value');
  });

  it('refuses a masked token URL query value on a new registration', async () => {
    const order = await createOrder(suite.http);
    await expectNothingChanged(suite, order.id, async () => {
      const response = await register(order.id, registration({
        auth: { type: 'oauth2_client_credentials', tokenUrl: 'https://login.example.com/token?x=********', clientId: 'cid', clientSecret: 'LOGCS1' },
      }));
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual(['auth.tokenUrl query parameter "x" is masked (********) and there is no stored value to keep: give its value']);
    });
  });

  it('removes a registration with 204; removing it again is 404', async () => {
    const order = await createOrder(suite.http);
    const added = (await register(order.id, registration())).body;
    expect((await request(suite.http).delete(`${notifications(order.id)}/${added.id}`).set(ALPHA)).status).toBe(204);
    expect((await request(suite.http).get(notifications(order.id)).set(ALPHA)).body).toEqual([]);
    await expectNothingChanged(suite, order.id, async () => {
      const again = await request(suite.http).delete(`${notifications(order.id)}/${added.id}`).set(ALPHA);
      expect(again.status).toBe(404);
      expect(again.body.message).toBe(`notification ${added.id} not found on order ${order.id}`);
      expect((await request(suite.http).delete(`${notifications(order.id)}/not-a-uuid`).set(ALPHA)).status).toBe(404);
    });
  });

  it.each([
    ['a bad pointer', registration({ scope: 'state/currentStatus' })],
    ['a bad schema', { invoke: 'https://erp.example.com', scope: '/state/currentStatus', schema: { type: 'nonsense' } }],
    ['an empty scope', registration({ scope: {} })],
    ['a reserved header', registration({ headers: { 'Content-Type': 'text/plain' } })],
    ['a bad header name', registration({ headers: { 'X Key': 'v' } })],
    ['a bad url scheme', registration({ url: 'ftp://erp.example.com/x' })],
    ['an unknown field', registration({ retries: 3 })],
    ['a non-boolean ordered', registration({ ordered: 'yes' })],
    ['a body that is a list', [registration()]],
  ])('refuses %s with 400 and no change', async (_, body) => {
    const order = await createOrder(suite.http);
    await expectNothingChanged(suite, order.id, async () => {
      const response = await register(order.id, body);
      expect(response.status).toBe(400);
      expect(Array.isArray(response.body.message)).toBe(true);
    });
  });

  it.each([
    ['a Content-Encoding header', { headers: { 'Content-Encoding': 'gzip' } }, 'headers: header "Content-Encoding" is set by Ordercast and cannot be registered'],
    ['an Expect header', { headers: { expect: '100-continue' } }, 'headers: header "expect" is set by Ordercast and cannot be registered'],
    ['a Content-Range header', { headers: { 'CONTENT-RANGE': 'bytes 0-1/2' } }, 'headers: header "CONTENT-RANGE" is set by Ordercast and cannot be registered'],
    ['a secret of 31 base64 characters', { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS' }, WEBHOOK_SECRET_BASE64_RULE],
    ['a secret with padding it does not need', { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==' }, WEBHOOK_SECRET_BASE64_RULE],
  ])('refuses %s with 400 naming it, and no change', async (_, overrides, message) => {
    const order = await createOrder(suite.http);
    await expectNothingChanged(suite, order.id, async () => {
      const response = await register(order.id, registration(overrides));
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual([message]);
    });
  });

  it('accepts a padded whsec_ secret in canonical base64 (a 32-byte key)', async () => {
    const order = await createOrder(suite.http);
    expect((await register(order.id, registration({ secret: `whsec_${Buffer.alloc(32, 0xfb).toString('base64')}` }))).status).toBe(201);
  });

  it('allows 50 registrations on an order and refuses the 51st', async () => {
    const order = await createOrder(suite.http, { notifications: Array.from({ length: 49 }, (_, i) => registration({ reference: `n${i}` })) });
    expect((await register(order.id, registration({ reference: 'n49' }))).status).toBe(201);
    await expectNothingChanged(suite, order.id, async () => {
      const response = await register(order.id, registration({ reference: 'n50' }));
      expect(response.status).toBe(400);
      expect(response.body.message).toEqual(['an order carries at most 50 notifications; this one has 50 and the request adds 1']);
      const withPayment = await request(suite.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA)
        .send({ adapterId: 'klarna', amount: 1, state: 'intent', notifications: [registration()] });
      expect(withPayment.status).toBe(400);
    });
    expect((await request(suite.http).get(notifications(order.id)).set(ALPHA)).body).toHaveLength(50);
  });

  it('refuses more than 50 registrations when the order is created', async () => {
    const before = await outboxCount(suite.sql);
    const response = await request(suite.http).post(ORDERS).set(WEB).send(orderRequest({ notifications: Array.from({ length: 51 }, () => registration()) }));
    expect(response.status).toBe(400);
    expect(response.body.message).toContain('notifications must contain no more than 50 elements');
    expect(await outboxCount(suite.sql)).toBe(before);
  });

  it('is 404 for an unknown or malformed order', async () => {
    expect((await register(UNKNOWN_ID, registration())).status).toBe(404);
    expect((await request(suite.http).get(notifications(UNKNOWN_ID)).set(ALPHA)).status).toBe(404);
    expect((await request(suite.http).get(notifications('x')).set(ALPHA)).status).toBe(404);
    expect((await request(suite.http).delete(`${notifications(UNKNOWN_ID)}/${UNKNOWN_ID}`).set(ALPHA)).status).toBe(404);
  });

  it("gives another merchant nothing of an order's registrations", async () => {
    const order = await createOrder(suite.http, { notifications: [registration()] });
    const [existing] = order.notifications;
    await expectNothingChanged(suite, order.id, async () => {
      expect((await request(suite.http).get(notifications(order.id)).set(BETA)).status).toBe(404);
      expect((await register(order.id, registration(), BETA)).status).toBe(404);
      expect((await request(suite.http).delete(`${notifications(order.id)}/${existing.id}`).set(BETA)).status).toBe(404);
    });
  });

  describe('with private targets refused (ALLOW_PRIVATE_TARGETS=false)', () => {
    let strict: OrderService;
    beforeAll(async () => (strict = await startOrderService(suite.db.url, { ALLOW_PRIVATE_TARGETS: 'false' })));
    afterAll(() => strict.app.close());

    const privateTargets = ['http://127.0.0.1/x', 'http://169.254.169.254/', 'http://[::1]/', 'http://10.0.0.1/', 'http://localhost:8080/', 'http://192.168.1.10/hook'];

    it.each(privateTargets)('refuses %s on an order', async (url) => {
      const order = await createOrder(strict.http);
      await expectNothingChanged(suite, order.id, async () => {
        const response = await request(strict.http).post(notifications(order.id)).set(ALPHA).send(registration({ url }));
        expect(response.status).toBe(400);
        expect(response.body.message[0]).toMatch(/^url: /);
      });
    });

    it.each(privateTargets)('refuses %s as invoke, with a payment, on a new order and on a channel', async (url) => {
      const order = await createOrder(strict.http);
      await expectNothingChanged(suite, order.id, async () => {
        const invoke = await request(strict.http).post(notifications(order.id)).set(ALPHA).send({ invoke: url, scope: '/state/currentStatus' });
        expect(invoke.status).toBe(400);
        const payment = await request(strict.http).post(`${ORDERS}/${order.id}/payments`).set(ALPHA)
          .send({ adapterId: 'klarna', amount: 1, state: 'intent', notifications: [registration({ url })] });
        expect(payment.status).toBe(400);
        const created = await request(strict.http).post(ORDERS).set(WEB).send(orderRequest({ notifications: [registration({ url })] }));
        expect(created.status).toBe(400);
      });
      const channel = await request(strict.http).put('/api/v0/checkout/channels/strict/notifications').set(ALPHA).send([registration({ url })]);
      expect(channel.status).toBe(400);
      expect((await request(strict.http).get('/api/v0/checkout/channels/strict/notifications').set(ALPHA)).body).toEqual([]);
    });

    it('accepts a public address', async () => {
      const order = await createOrder(strict.http);
      expect((await request(strict.http).post(notifications(order.id)).set(ALPHA).send(registration({ url: 'https://93.184.216.34/hook' }))).status).toBe(201);
    });
  });
});
