import { SECRET_BOX, SecretBox } from '@ordercast/platform';
import request from 'supertest';
import { ALPHA, BETA, createOrder, ORDERS, orderRequest, registration, SIGNING_SECRET, startSuite, Suite, WEB } from './order-service.fixture';

describe('channel configuration', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite()));
  afterAll(() => suite.close());

  const channelPath = (channel: string) => `/api/v0/checkout/channels/${channel}/notifications`;
  const configure = (channel: string, body: object, headers = ALPHA) => request(suite.http).put(channelPath(channel)).set(headers).send(body);
  const read = (channel: string, headers = ALPHA) => request(suite.http).get(channelPath(channel)).set(headers);

  it('starts empty', async () => {
    const response = await read('fresh');
    expect(response.status).toBe(200);
    expect(response.body).toEqual([]);
  });

  it('stores the notifications and shows them masked', async () => {
    const response = await configure('erp', [registration({ reference: 'erp-export' }), { delivery: 'poll', scope: { payment: true } }]);
    expect(response.status).toBe(200);
    expect(response.body).toHaveLength(2);
    expect(response.body[0]).toMatchObject({ reference: 'erp-export', source: 'channel', headers: { 'X-API-Key': '********' }, secret: 'whsec_********' });
    expect((await read('erp')).body).toEqual(response.body);
  });

  it('attaches copies to orders created afterwards in the channel, and only to those', async () => {
    const before = await createOrder(suite.http, {}, { ...ALPHA, 'x-channel': 'shop' });
    const configured = (await configure('shop', [registration({ reference: 'erp-export' })])).body;
    const after = await createOrder(suite.http, { notifications: [registration({ reference: 'own' })] }, { ...ALPHA, 'x-channel': 'shop' });
    const elsewhere = await createOrder(suite.http, {}, WEB);

    expect(before.notifications).toEqual([]);
    expect(elsewhere.notifications).toEqual([]);
    const attached = after.notifications;
    expect(attached.map((n) => [n.reference, n.source])).toEqual([['erp-export', 'channel'], ['own', 'order']]);
    expect(attached[0].id).not.toBe(configured[0].id);
    expect(attached[0]).toMatchObject({ url: configured[0].url, headers: configured[0].headers, secret: configured[0].secret });
    expect((await request(suite.http).get(`${ORDERS}/${before.id}`).set(ALPHA)).body.notifications).toEqual([]);
  });

  it('replaces the configuration; existing orders keep what they got', async () => {
    await configure('replace', [registration({ reference: 'first' })]);
    const first = await createOrder(suite.http, {}, { ...ALPHA, 'x-channel': 'replace' });
    const replaced = await configure('replace', [registration({ reference: 'second' })]);
    expect(replaced.body.map((n: { reference: string }) => n.reference)).toEqual(['second']);
    const second = await createOrder(suite.http, {}, { ...ALPHA, 'x-channel': 'replace' });
    expect(first.notifications.map((n) => n.reference)).toEqual(['first']);
    expect(second.notifications.map((n) => n.reference)).toEqual(['second']);

    expect((await configure('replace', [])).body).toEqual([]);
    expect((await createOrder(suite.http, {}, { ...ALPHA, 'x-channel': 'replace' })).notifications).toEqual([]);
  });

  it('keeps each merchant\'s channels apart', async () => {
    await configure('shared-name', [registration({ reference: 'alpha-only' })]);
    expect((await read('shared-name', BETA)).body).toEqual([]);
    const betaOrder = await createOrder(suite.http, {}, { ...BETA, 'x-channel': 'shared-name' });
    expect(betaOrder.notifications).toEqual([]);
    await configure('shared-name', [], BETA);
    expect((await read('shared-name')).body).toHaveLength(1);
  });

  it.each([
    ['an object instead of a list', registration(), 'body must be a JSON array of registrations'],
    ['an invalid item, with its index', [registration(), registration({ scope: {} })], '[1].scope must watch something'],
    ['an item with an unknown field', [registration({ retries: 1 })], '[0].retries: property retries should not exist'],
    ['an item that is not an object', ['https://erp.example.com'], '[0].'],
    ['more than 50 items', Array.from({ length: 51 }, () => registration()), 'at most 50 registrations are allowed; got 51'],
  ])('refuses %s with 400 and keeps the configuration', async (_, body, message) => {
    await configure('kept', [registration({ reference: 'kept' })]);
    const response = await configure('kept', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(response.body.message.join('\n')).toContain(message);
    expect((await read('kept')).body.map((n: { reference: string }) => n.reference)).toEqual(['kept']);
  });

  it('keeps the stored signing secret of a notification put back with it masked, also when its target moves to another origin', async () => {
    const secretOf = async (channel: string): Promise<string | null> => {
      const { rows } = await suite.sql.query<{ secret: string }>(
        `SELECT r->>'secret' AS secret FROM orders.channel_notifications, jsonb_array_elements(registrations) r WHERE channel = $1`, [channel]);
      return rows[0].secret === null ? null : suite.service.app.get<SecretBox>(SECRET_BOX).decrypt(rows[0].secret, 'signing-secrets');
    };
    await configure('moving', [registration({ reference: 'erp' })]);
    const [shown] = (await read('moving')).body;
    expect(shown.secret).toBe('whsec_********');
    // Header values follow the target only within its origin, so they are given again; the masked secret keeps the stored one.
    const moved = await configure('moving', [{ ...shown, url: 'https://crm.example.com/hooks/{order.id}', headers: { 'X-API-Key': 'crm-key' } }]);
    expect(moved.status).toBe(200);
    expect(moved.body[0]).toMatchObject({ id: shown.id, url: 'https://crm.example.com/hooks/{order.id}', secret: 'whsec_********' });
    expect(await secretOf('moving')).toBe(SIGNING_SECRET);
    // Left out of a PUT (which replaces the notification), there is no secret; masked with nothing stored, it is refused.
    expect((await configure('moving', [{ ...shown, url: moved.body[0].url, headers: { 'X-API-Key': 'crm-key' }, secret: undefined }])).status).toBe(200);
    expect(await secretOf('moving')).toBeNull();
    const refused = await configure('moving', [{ ...shown, url: moved.body[0].url, headers: { 'X-API-Key': 'crm-key' } }]);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toEqual(['secret is masked (whsec_********) and there is no stored secret to keep: give it']);
  });

  it('refuses a channel name that is not one', async () => {
    expect((await read('bad%20channel')).status).toBe(400);
    expect((await configure('x'.repeat(101), [])).status).toBe(400);
  });

  it('refuses an order whose channel and own notifications exceed 50 together', async () => {
    await configure('crowded', Array.from({ length: 30 }, (_, i) => registration({ reference: `c${i}` })));
    const response = await request(suite.http).post(ORDERS).set({ ...ALPHA, 'x-channel': 'crowded' })
      .send(orderRequest({ notifications: Array.from({ length: 21 }, () => registration()) }));
    expect(response.status).toBe(400);
    expect(response.body.message[0]).toContain('at most 50 notifications');
  });
});
