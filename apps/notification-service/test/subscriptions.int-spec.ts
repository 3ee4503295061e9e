import { INestApplication } from '@nestjs/common';
import type { OrderChangeEvent } from '@ordercast/contracts';
import { ALLOW_PRIVATE_TARGETS, MASK, openUrlCredentials, SECRET_BOX, SecretBox, TargetGuard } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  MAX_SUBSCRIPTIONS_PER_MERCHANT, SubscriptionEntity, SubscriptionEvents, SubscriptionsApiModule, SubscriptionsChanged,
} from '../src/subscriptions';
import { IngestAttempts } from '../src/ingest/ingest-attempts';
import { notificationDatabase } from '../src/notification-database';
import { TEST_ENCRYPTION_KEY } from '../../../test/support/env';
import { FeatureApp, startFeatureApp } from './feature-app';

const BASE = '/api/v0/checkout/notifications/subscriptions';
const box = new SecretBox(TEST_ENCRYPTION_KEY);
const merchantA = { 'X-Merchant': 'merchant-a', Authorization: 'Bearer token-a' };
const merchantB = { 'X-Merchant': 'merchant-b', Authorization: 'Bearer token-b' };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const erp = {
  name: 'Completed orders to the ERP',
  scope: { state: ['completed'] },
  url: 'https://erp.example.com/orders/{order.id}',
  headers: { 'X-API-Key': 'erp-key-1', 'X-Correlation-Id': 'corr-1' },
  secret: SECRET,
};

describe('subscriptions API (real PostgreSQL)', () => {
  let feature: FeatureApp;
  let app: INestApplication;
  let dataSource: DataSource;
  const changes: SubscriptionsChanged[] = [];

  const http = () => request(app.getHttpServer());
  const create = (body: object, auth = merchantA) => http().post(BASE).set(auth).send(body);
  const patch = (id: string, body: object, auth = merchantA) => http().patch(`${BASE}/${id}`).set(auth).send(body);
  const stored = async (id: string): Promise<Record<string, unknown>> => (await dataSource.query(`SELECT * FROM notifications.subscriptions WHERE id = $1`, [id]))[0];
  /** The subscriptions ingest reads for a change of `merchant` (in its first statement of a batch). */
  const readByIngest = async (merchant: string) =>
    (await new IngestAttempts(dataSource).begin([{ id: randomUUID(), merchant, orderId: randomUUID() } as OrderChangeEvent])).subscriptions;

  beforeAll(async () => {
    feature = await startFeatureApp({
      feature: SubscriptionsApiModule,
      entities: [SubscriptionEntity],
      migrations: notificationDatabase('').migrations,
      tokens: { 'token-a': 'merchant-a', 'token-b': 'merchant-b' },
      globals: [{ provide: SECRET_BOX, useValue: box }, { provide: ALLOW_PRIVATE_TARGETS, useValue: false }, TargetGuard],
    });
    ({ app, dataSource } = feature);
    app.get(SubscriptionEvents).onChanged((event) => changes.push(event));
  });

  beforeEach(async () => {
    await dataSource.query(`TRUNCATE notifications.subscriptions`);
    changes.length = 0;
  });

  afterAll(() => feature?.close());

  it('creates a webhook subscription with defaults, secrets encrypted at rest and masked in the response', async () => {
    const response = await create(erp).expect(201);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Completed orders to the ERP',
      channels: [],
      scope: [{ pointer: '/state/currentStatus', schema: { enum: ['completed'] } }],
      events: [],
      delivery: 'webhook',
      payload: 'full',
      url: 'https://erp.example.com/orders/{order.id}',
      method: 'POST',
      headers: { 'X-API-Key': MASK, 'X-Correlation-Id': 'corr-1' },
      email: null,
      secret: `whsec_${MASK}`,
      auth: null,
      kafka: null,
      ordered: false,
      enabled: true,
      disabledReason: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });

    const row = await stored(response.body.id);
    expect(row.merchant).toBe('merchant-a');
    expect(JSON.stringify(row)).not.toContain('erp-key-1');
    expect(JSON.stringify(row)).not.toContain(SECRET);
    expect(box.decryptValues(row.headers as Record<string, string>, 'header-values')).toEqual(erp.headers);
    expect(box.decrypt(row.secret as string, 'signing-secrets')).toBe(SECRET);
    expect(changes).toEqual([{ merchant: 'merchant-a', subscriptionId: response.body.id, change: 'created' }]);
  });

  it('accepts every registration scope form, for channels, poll and email delivery', async () => {
    const pointer = await create({ name: 'captured', scope: '/payments', schema: { type: 'array' }, delivery: 'poll', channels: ['web-se', 'app'] }).expect(201);
    expect(pointer.body).toMatchObject({ scope: [{ pointer: '/payments', schema: { type: 'array' } }], delivery: 'poll', url: null, channels: ['web-se', 'app'] });
    const watches = await create({ name: 'shipped', scope: [{ pointer: '/shippings', states: ['confirmed'] }], delivery: 'email', email: 'ops@shop.example', payload: 'metadata', enabled: false }).expect(201);
    expect(watches.body).toMatchObject({ scope: [{ pointer: '/shippings', states: ['confirmed'] }], delivery: 'email', email: 'ops@shop.example', payload: 'metadata', enabled: false });
  });

  it('lists and reads only the merchant\'s own subscriptions; another merchant\'s id is 404', async () => {
    const a = await create(erp).expect(201);
    const b = await create({ ...erp, name: 'B' }, merchantB).expect(201);
    expect((await http().get(BASE).set(merchantA).expect(200)).body.map((s: { id: string }) => s.id)).toEqual([a.body.id]);
    expect((await http().get(`${BASE}/${a.body.id}`).set(merchantA).expect(200)).body.name).toBe(erp.name);
    await http().get(`${BASE}/${b.body.id}`).set(merchantA).expect(404);
    await patch(b.body.id, { enabled: false }).expect(404);
    await http().delete(`${BASE}/${b.body.id}`).set(merchantA).expect(404);
    await http().get(`${BASE}/not-a-uuid`).set(merchantA).expect(404);
    expect((await stored(b.body.id)).enabled).toBe(true);
    await http().get(BASE).expect(400);
  });

  it.each([
    ['an unknown field', { ...erp, id: 'mine' }, 'property id should not exist'],
    ['no name', { scope: erp.scope, url: erp.url }, 'name must be a string'],
    ['an empty scope', { ...erp, scope: {} }, 'scope must watch something'],
    ['an unknown state', { ...erp, scope: { state: ['shipped'] } }, 'scope.state has unknown state "shipped"'],
    ['schema beside an object scope', { ...erp, schema: { enum: ['x'] } }, 'schema is only allowed with a JSON pointer scope'],
    ['a webhook without url', { name: 'x', scope: erp.scope }, 'a webhook subscription needs url'],
    ['email delivery without email', { name: 'x', scope: erp.scope, delivery: 'email' }, 'an email subscription needs email'],
    ['url with email delivery', { ...erp, headers: undefined, secret: undefined, delivery: 'email', email: 'ops@shop.example' }, 'url is only used by webhook delivery, not email'],
    ['a secret on a poll subscription', { name: 'x', scope: erp.scope, delivery: 'poll', secret: SECRET }, 'secret is only used by webhook delivery, not poll'],
    ['a bad secret', { ...erp, secret: 'hunter2' }, 'secret must be a Standard Webhooks secret'],
    ['a reserved header', { ...erp, headers: { 'webhook-signature': 'x' } }, 'header "webhook-signature" is set by Ordercast'],
    ['a Content-Encoding header', { ...erp, headers: { 'Content-Encoding': 'gzip' } }, 'header "Content-Encoding" is set by Ordercast and cannot be registered'],
    ['an Expect header', { ...erp, headers: { Expect: '100-continue' } }, 'header "Expect" is set by Ordercast and cannot be registered'],
    ['a Content-Range header', { ...erp, headers: { 'content-range': 'bytes 0-1/2' } }, 'header "content-range" is set by Ordercast and cannot be registered'],
    ['a secret of 31 base64 characters', { ...erp, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS' }, 'secret must be whsec_ followed by canonical standard base64'],
    ['a secret with padding it does not need', { ...erp, secret: `${SECRET}==` }, 'secret must be whsec_ followed by canonical standard base64'],
    ['credentials in the url', { ...erp, url: 'https://user:pw@erp.example.com/' }, 'url must not carry credentials'],
    ['a non-http url', { ...erp, url: 'ftp://erp.example.com/' }, 'url must use http or https'],
    ['a private target', { ...erp, url: 'http://127.0.0.1:8080/hook' }, 'url: target address 127.0.0.1 is private'],
    ['a bad channel', { ...erp, channels: ['web se'] }, 'each channel must be'],
    ['a bad email', { name: 'x', scope: erp.scope, delivery: 'email', email: 'not-an-email' }, 'email must be an email'],
    ['an unknown delivery', { ...erp, delivery: 'sms' }, 'delivery must be one of the following values'],
  ])('refuses %s with 400 and stores nothing', async (_, body, message) => {
    const response = await create(body).expect(400);
    expect(response.body.message.join('\n')).toContain(message);
    expect(await dataSource.query(`SELECT id FROM notifications.subscriptions`)).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('updates any field; a masked header value sent back keeps the stored value', async () => {
    const { body: created } = await create(erp).expect(201);
    const response = await patch(created.id, {
      name: 'ERP (all channels but POS)',
      channels: ['web-se'],
      scope: '/state/currentStatus',
      schema: { enum: ['completed', 'declined'] },
      method: 'PUT',
      headers: { 'X-API-Key': MASK, 'X-Tenant': 'acme' },
      payload: 'metadata',
    }).expect(200);
    expect(response.body).toMatchObject({
      name: 'ERP (all channels but POS)',
      channels: ['web-se'],
      scope: [{ pointer: '/state/currentStatus', schema: { enum: ['completed', 'declined'] } }],
      method: 'PUT',
      headers: { 'X-API-Key': MASK, 'X-Tenant': MASK },
      payload: 'metadata',
      secret: `whsec_${MASK}`,
      url: erp.url,
    });
    expect(Date.parse(response.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    expect(box.decryptValues((await stored(created.id)).headers as Record<string, string>, 'header-values')).toEqual({ 'X-API-Key': 'erp-key-1', 'X-Tenant': 'acme' });

    await patch(created.id, { secret: null }).expect(200);
    expect((await stored(created.id)).secret).toBeNull();
    expect(changes.map((change) => change.change)).toEqual(['created', 'updated', 'updated']);
  });

  it('seals the credentials of its URL at rest, masks them in responses, and keeps them when the masked URL is sent back', async () => {
    const url = 'https://erp.example.com/orders/{order.id}?format=json&Signature=s1g-9f2e';
    const masked = `https://erp.example.com/orders/{order.id}?format=${MASK}&Signature=${MASK}`;
    const { body: created } = await create({ ...erp, url }).expect(201);
    expect(created.url).toBe(masked);
    expect((await http().get(`${BASE}/${created.id}`).set(merchantA).expect(200)).body.url).toBe(masked);
    expect((await http().get(BASE).set(merchantA).expect(200)).body[0].url).toBe(masked);
    const row = await stored(created.id);
    expect(row.url).toMatch(/\?format=ocs1\.[\w-]+\.[\w-]+&Signature=ocs1\.[\w-]+\.[\w-]+$/);
    expect(JSON.stringify(row)).not.toContain('s1g-9f2e');

    await patch(created.id, { url: masked, name: 'renamed' }).expect(200);
    expect(openUrlCredentials((await stored(created.id)).url as string, box)).toBe(url);
    const replaced = await patch(created.id, { url: 'https://erp.example.com/v2?token=n3w-t0k' }).expect(200);
    expect(replaced.body.url).toBe(`https://erp.example.com/v2?token=${MASK}`);
    expect(JSON.stringify(await stored(created.id))).not.toContain('n3w-t0k');
  });

  it('masks the query values of its OAuth2 token URL in responses, stores the real ones, and keeps them when sent back masked', async () => {
    const auth = { type: 'oauth2_client_credentials', tokenUrl: 'https://login.example.com/token?x=LOGQ4', clientId: 'cid', clientSecret: 'LOGCS1' };
    const shownAuth = { ...auth, tokenUrl: `https://login.example.com/token?x=${MASK}`, clientSecret: MASK, scope: null, audience: null };
    const { body: created } = await create({ ...erp, auth }).expect(201);
    expect(created.auth).toEqual(shownAuth);
    expect((await http().get(`${BASE}/${created.id}`).set(merchantA).expect(200)).body.auth).toEqual(shownAuth);
    expect((await http().get(BASE).set(merchantA).expect(200)).body[0].auth).toEqual(shownAuth);

    const sentBack = { ...auth, tokenUrl: shownAuth.tokenUrl, clientSecret: MASK };
    await patch(created.id, { auth: sentBack, name: 'renamed' }).expect(200);
    expect((await stored(created.id)).auth).toMatchObject({ tokenUrl: auth.tokenUrl });
    const moved = await patch(created.id, { url: 'https://crm.example.com/hooks', headers: {} }).expect(400);
    expect(moved.body.message).toContain(`auth.tokenUrl query parameter "x" is masked (${MASK}) and the target origin changed: give its value`);
    expect((await create({ ...erp, auth: { ...auth, tokenUrl: shownAuth.tokenUrl }, name: 'new' }).expect(400)).body.message).toContain(
      `auth.tokenUrl query parameter "x" is masked (${MASK}) and there is no stored value to keep: give its value`);
  });

  it('keeps the stored signing secret when it is sent back masked, also when the url moves to another origin', async () => {
    const { body: created } = await create(erp).expect(201);
    const moved = await patch(created.id, {
      url: 'https://crm.example.com/hooks/{order.id}', headers: { 'X-API-Key': 'crm-key-1' }, secret: `whsec_${MASK}`, name: 'moved',
    }).expect(200);
    expect(moved.body).toMatchObject({ url: 'https://crm.example.com/hooks/{order.id}', secret: `whsec_${MASK}`, name: 'moved' });
    expect(box.decrypt((await stored(created.id)).secret as string, 'signing-secrets')).toBe(SECRET);
    // Put back as a GET shows it: the same.
    const shown = (await http().get(`${BASE}/${created.id}`).set(merchantA).expect(200)).body;
    await patch(created.id, { secret: shown.secret, url: shown.url, headers: shown.headers }).expect(200);
    expect(box.decrypt((await stored(created.id)).secret as string, 'signing-secrets')).toBe(SECRET);
  });

  it('refuses a masked signing secret where none is stored, naming it, and on a new subscription', async () => {
    const { body: created } = await create({ ...erp, secret: undefined }).expect(201);
    const before = await stored(created.id);
    const refused = await patch(created.id, { secret: `whsec_${MASK}` }).expect(400);
    expect(refused.body.message).toEqual([`secret is masked (whsec_${MASK}) and there is no stored secret to keep: give it`]);
    expect(await stored(created.id)).toEqual(before);
    const created2 = await create({ ...erp, name: 'masked', secret: `whsec_${MASK}` }).expect(400);
    expect(created2.body.message).toEqual([`secret is masked (whsec_${MASK}) and there is no stored secret to keep: give it`]);
    expect(await dataSource.query(`SELECT id FROM notifications.subscriptions`)).toHaveLength(1);
  });

  it('switching to email delivery needs an email and drops the webhook target and its secrets', async () => {
    const { body: created } = await create(erp).expect(201);
    await patch(created.id, { delivery: 'email' }).expect(400);
    const response = await patch(created.id, { delivery: 'email', email: 'ops@shop.example' }).expect(200);
    expect(response.body).toMatchObject({ delivery: 'email', email: 'ops@shop.example', url: null, headers: {}, secret: null, method: 'POST' });
    const row = await stored(created.id);
    expect(row).toMatchObject({ url: null, secret: null, headers: {} });
  });

  it('takes ordered on create and update, and refuses a non-boolean', async () => {
    const { body: created } = await create({ ...erp, ordered: true }).expect(201);
    expect(created.ordered).toBe(true);
    expect((await stored(created.id)).ordered).toBe(true);
    expect((await patch(created.id, { ordered: false }).expect(200)).body.ordered).toBe(false);
    await create({ ...erp, ordered: 1 }).expect(400);
    expect((await stored(created.id)).ordered).toBe(false);
  });

  it('takes auth and kafka given as null as none, on create and update', async () => {
    const { body: created } = await create({ ...erp, auth: null, kafka: null }).expect(201);
    expect(created).toMatchObject({ auth: null, kafka: null });
    expect((await patch(created.id, { auth: null }).expect(200)).body).toMatchObject({ auth: null });
    expect((await patch(created.id, { kafka: null }).expect(400)).body.message).toEqual(['kafka must be an object with brokers and topic']);
  });

  it('refuses a bad update with 400 and leaves the subscription as it was', async () => {
    const { body: created } = await create(erp).expect(201);
    const before = await stored(created.id);
    for (const body of [{ name: null }, { name: '' }, { enabled: 'no' }, { scope: {} }, { schema: { enum: ['x'] } }, { url: 'http://10.0.0.1/' },
      { headers: { 'X-New': MASK } }, { secret: 'whsec_short' }, { channels: null }, { unknown: 1 }, { ordered: 'yes' }, { ordered: null }]) {
      const response = await patch(created.id, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
    }
    expect(await stored(created.id)).toEqual(before);
    expect(changes.map((change) => change.change)).toEqual(['created']);
  });

  it('deletes only a disabled subscription: 409 while enabled, 204 once disabled', async () => {
    const { body: created } = await create(erp).expect(201);
    const refused = await http().delete(`${BASE}/${created.id}`).set(merchantA).expect(409);
    expect(refused.body.message).toBe('disable the subscription before deleting it');

    expect((await patch(created.id, { enabled: false }).expect(200)).body.enabled).toBe(false);
    await http().delete(`${BASE}/${created.id}`).set(merchantA).expect(204);
    await http().get(`${BASE}/${created.id}`).set(merchantA).expect(404);
    await http().delete(`${BASE}/${created.id}`).set(merchantA).expect(404);
    expect(changes.map((change) => change.change)).toEqual(['created', 'updated', 'deleted']);
  });

  it("lets a merchant's subscriptions carry at most 256 distinct scope schemas, on create and on update", async () => {
    const watches = (from: number) => Array.from({ length: 64 }, (_, i) => ({ pointer: '/customer/tier', schema: { const: from + i } }));
    const subscription = (from: number) => ({ name: `tiers ${from}`, url: 'https://erp.example.com/tiers', scope: watches(from) });
    const ids: string[] = [];
    for (const from of [0, 64, 128, 192]) ids.push((await create(subscription(from)).expect(201)).body.id);
    // The same schemas again are none to compile; another merchant has its own allowance.
    await create(subscription(0)).expect(201);
    await create(subscription(256), merchantB).expect(201);
    const refused = await create(subscription(256)).expect(400);
    expect(refused.body.message).toEqual(["a merchant's subscriptions may carry at most 256 distinct scope schemas; these would carry 320"]);
    const moved = await patch(ids[0], { scope: watches(1000) }).expect(400);
    expect(moved.body.message).toEqual(["a merchant's subscriptions may carry at most 256 distinct scope schemas; these would carry 320"]);
    // Replacing a subscription's schemas with some already carried is no growth.
    await patch(ids[0], { scope: watches(64) }).expect(200);
    expect((await stored(ids[0])).scope).toEqual(watches(64));
  });

  it('re-enabling clears the reason Ordercast disabled it for', async () => {
    const { body: created } = await create(erp).expect(201);
    await dataSource.query(`UPDATE notifications.subscriptions SET enabled = false, disabled_reason = 'target disabled (410 Gone)' WHERE id = $1`, [created.id]);
    expect((await http().get(`${BASE}/${created.id}`).set(merchantA).expect(200)).body.disabledReason).toBe('target disabled (410 Gone)');
    expect((await patch(created.id, { enabled: true }).expect(200)).body).toMatchObject({ enabled: true, disabledReason: null });
  });

  it('changes apply to the next read ingest makes', async () => {
    const { body: created } = await create(erp).expect(201);
    expect((await readByIngest('merchant-a')).map((s) => s.id)).toEqual([created.id]);
    await patch(created.id, { enabled: false }).expect(200);
    expect(await readByIngest('merchant-a')).toEqual([]);
  });

  it('creates an alert subscription, which order matching never reads and whose order selectors cannot be set', async () => {
    const alerts = await create({ name: 'Ops', events: ['endpoint.failing', 'delivery.dead'], url: 'https://ops.example.com/alerts', secret: SECRET }).expect(201);
    expect(alerts.body).toMatchObject({ events: ['endpoint.failing', 'delivery.dead'], scope: [], secret: `whsec_${MASK}` });
    const orders = await create(erp).expect(201);
    expect((await readByIngest('merchant-a')).map((s) => s.id)).toEqual([orders.body.id]);
    const refused = await patch(alerts.body.id, { scope: { state: ['completed'] }, channels: ['web'] }).expect(400);
    expect(refused.body.message).toEqual(['scope is not used by an alert subscription (one with events)', 'channels is not used by an alert subscription (one with events)']);
    await patch(alerts.body.id, { events: ['endpoint.recovered'] }).expect(400);
    expect((await http().get(`${BASE}/${alerts.body.id}`).set(merchantA).expect(200)).body).toMatchObject({ events: ['endpoint.failing', 'delivery.dead'], scope: [], channels: [] });
  });

  it(`allows at most ${MAX_SUBSCRIPTIONS_PER_MERCHANT} subscriptions per merchant, even when created at once`, async () => {
    const values = Array.from({ length: MAX_SUBSCRIPTIONS_PER_MERCHANT - 5 }, (_, i) => `('merchant-a', 'existing ${i}', '[{"pointer":"/payments"}]'::jsonb, 'poll')`);
    await dataSource.query(`INSERT INTO notifications.subscriptions (merchant, name, scope, delivery) VALUES ${values.join(', ')}`);
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => create({ name: `new ${i}`, scope: erp.scope, delivery: 'poll' })));
    expect(responses.map((response) => response.status).sort()).toEqual([...Array(5).fill(201), ...Array(5).fill(400)]);
    expect(responses.find((response) => response.status === 400)?.body.message).toEqual([`a merchant can have at most ${MAX_SUBSCRIPTIONS_PER_MERCHANT} subscriptions; delete one first`]);
    expect((await http().get(BASE).set(merchantA).expect(200)).body).toHaveLength(MAX_SUBSCRIPTIONS_PER_MERCHANT);
    await create({ ...erp, name: 'B is not limited by A' }, merchantB).expect(201);
  });
});
