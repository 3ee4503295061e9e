import { normaliseScope, Registration } from '@ordercast/contracts';
import { randomUUID } from 'node:crypto';
import { aChangeEvent, aPayment, aRegistration, anOrder, sealed, testBox as box, withState } from './fixtures/orders';
import { startSuite, Suite } from './notification-service.fixture';

describe('ingest of checkout.order-events.v1 (real PostgreSQL, in-process bus)', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await startSuite();
  });
  afterAll(async () => {
    await suite?.close();
  });

  let afterCleanup: (() => Promise<unknown>) | null = null;
  afterEach(async () => {
    await afterCleanup?.();
    afterCleanup = null;
  });

  const count = async (sql: string, params: unknown[]) => Number((await suite.sql.query(sql, params)).rows[0].count);

  it('creates nothing new when a change event is delivered again', async () => {
    const path = `/once-${Date.now()}`;
    const registration = aRegistration({ url: suite.sink.url(path), scope: [{ pointer: '/state/currentStatus' }] });
    const checkout = anOrder({ merchant: 'alpha', notifications: [registration] });
    const processing = withState(checkout, 'processing');
    const change = aChangeEvent(checkout, processing);
    await suite.publish(change);
    await suite.eventsOf(checkout.id);

    // Same key, so the redelivery is ingested before the later change that proves the consumer got past it.
    await suite.publish(change, aChangeEvent(processing, withState(processing, 'accepted', '2025-01-01T12:00:00.000Z')));
    const events = await suite.eventsOf(checkout.id, { count: 2 });
    expect(events.map((e) => e.scope).sort()).toEqual(['state.accepted', 'state.processing']);
    expect(await count(`SELECT count(*) FROM notifications.messages WHERE change_id = $1`, [change.id])).toBe(1);
    expect(suite.sink.received(path)).toHaveLength(2);
  });

  it('fires a registration added by the request that changes the state', async () => {
    const path = `/added-${Date.now()}`;
    const checkout = anOrder({ merchant: 'alpha' });
    const registration = aRegistration({ url: suite.sink.url(path), scope: normaliseScope({ state: ['processing'] }) });
    await suite.publish(aChangeEvent(checkout, { ...withState(checkout, 'processing'), notifications: [registration] }));
    const [event] = await suite.eventsOf(checkout.id);
    expect(event).toMatchObject({ notificationId: registration.id, scope: 'state.processing', status: 'succeeded' });
  });

  it('fires a { state: [checkout] } registration on order.created, as the rule says', async () => {
    const path = `/created-${Date.now()}`;
    const registration = aRegistration({ url: suite.sink.url(path), scope: normaliseScope({ state: ['checkout'] }) });
    const order = anOrder({ merchant: 'alpha', notifications: [registration] });
    await suite.publish(aChangeEvent(null, order, 'order.created', { kind: 'created' }));
    const [event] = await suite.eventsOf(order.id);
    expect(event).toMatchObject({ scope: 'state.checkout', type: 'order.created', status: 'succeeded' });
  });

  it('delivers one message per matching watch of a registration, each with its own id', async () => {
    const path = `/two-${Date.now()}`;
    const registration = aRegistration({ url: suite.sink.url(path), scope: normaliseScope({ state: ['processing'], payment: true }) });
    const checkout = anOrder({ merchant: 'alpha', notifications: [registration] });
    const after = { ...withState(checkout, 'processing'), payments: [aPayment({ state: 'authorized' })] };
    await suite.publish(aChangeEvent(checkout, after));
    const events = await suite.eventsOf(checkout.id, { count: 2 });
    expect(events.map((e) => e.scope).sort()).toEqual(['payment.authorized', 'state.processing']);
    expect(events[0].messageId).not.toBe(events[1].messageId);
    const bodies = (await suite.sink.waitFor(2, 10_000, path)).map((r) => JSON.parse(r.body));
    expect(bodies.map((b) => b.scope).sort()).toEqual(['payment.authorized', 'state.processing']);
  });

  it('stores and sends every body of a batch byte for byte, multi-byte characters included', async () => {
    const path = `/bytes-${Date.now()}`;
    // Bodies reach PostgreSQL as byte ranges of one buffer: characters of 2, 3 and 4 bytes in one
    // body would shift the bodies after it if a range were counted in characters. One change with
    // four registrations puts four different bodies in one statement.
    const references = ['Åsa Öberg – 東京 🎉', 'plain ascii', 'Ünïcödé ✓', 'last 😀😀'];
    const registrations = references.map((reference, index) =>
      aRegistration({ reference, url: suite.sink.url(`${path}/${index}`), scope: normaliseScope({ state: ['processing'] }) }),
    );
    const checkout = anOrder({ merchant: 'alpha', customer: { email: 'a@example.com', firstName: 'Zoë 🙂' }, notifications: registrations });
    await suite.publish(aChangeEvent(checkout, withState(checkout, 'processing')));
    await suite.eventsOf(checkout.id, { count: references.length });
    for (const [index, reference] of references.entries()) {
      const [received] = await suite.sink.waitFor(1, 10_000, `${path}/${index}`);
      const body = JSON.parse(received.body);
      expect(body.notification.reference).toBe(reference);
      expect(body.order.customer.firstName).toBe('Zoë 🙂');
      const stored = await suite.sql.query(`SELECT m.body::text AS body FROM notifications.messages m WHERE m.order_id = $1 AND m.target_id = $2`, [
        checkout.id,
        registrations[index].id,
      ]);
      expect(stored.rows[0].body).toBe(received.body);
    }
  });

  it("matches the merchant's enabled subscriptions for the order's channel", async () => {
    const path = `/subscription-${Date.now()}`;
    const insert = async (name: string, channels: string[], enabled: boolean, merchant = 'alpha') =>
      (await suite.sql.query(
        `INSERT INTO notifications.subscriptions (merchant, name, channels, scope, url, headers, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [merchant, name, channels, JSON.stringify(normaliseScope({ state: ['processing'] })), suite.sink.url(`${path}/${name}`), { 'X-Token': box.encrypt('sub-token', 'header-values') }, enabled],
      )).rows[0].id as string;
    const everyChannel = await insert('every-channel', [], true);
    const webOnly = await insert('web-only', ['web-se'], true);
    await insert('other-channel', ['store-se'], true);
    await insert('disabled', [], false);
    await insert('other-merchant', [], true, 'beta');
    // The other tests must not get subscription deliveries.
    afterCleanup = () => suite.sql.query(`DELETE FROM notifications.subscriptions`);

    const checkout = anOrder({ merchant: 'alpha', channel: 'web-se' });
    await suite.publish(aChangeEvent(checkout, withState(checkout, 'processing')));
    const events = await suite.eventsOf(checkout.id, { count: 2 });
    expect(events.map((e) => [e.subscriptionId, e.reference, e.notificationId]).sort()).toEqual(
      [[everyChannel, 'every-channel', null], [webOnly, 'web-only', null]].sort(),
    );
    const [received] = await suite.sink.waitFor(1, 10_000, `${path}/every-channel`);
    expect(received.headers['x-token']).toBe('sub-token');
    expect(JSON.parse(received.body).notification).toEqual({ id: everyChannel, reference: 'every-channel', description: null });
    // The change's Events were written in one transaction, and the list above has exactly these two:
    // no other subscription has a delivery that could still arrive.
    await suite.sink.waitFor(1, 10_000, `${path}/web-only`);
    expect(suite.sink.received().filter((r) => r.path.startsWith(path)).map((r) => r.path).sort()).toEqual([`${path}/every-channel`, `${path}/web-only`]);
  });

  it('keeps the newest snapshot of an order, with registration secrets sealed at rest', async () => {
    const registration = aRegistration({
      url: suite.sink.url(`/sealed-${Date.now()}`),
      headers: { 'X-API-Key': 'plain-api-key' },
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      scope: [{ pointer: '/state/currentStatus' }],
    });
    const checkout = anOrder({ merchant: 'alpha', notifications: [registration] });
    const processing = withState(checkout, 'processing', '2025-01-01T11:00:00.000Z');
    const accepted = withState(processing, 'accepted', '2025-01-01T12:00:00.000Z');
    const newer = aChangeEvent(processing, accepted);
    const older = aChangeEvent(checkout, processing);
    await suite.publish(newer, older);
    await suite.eventsOf(checkout.id, { count: 2 });

    const { rows } = await suite.sql.query(`SELECT change_id, snapshot, snapshot::text AS text FROM notifications.order_snapshots WHERE order_id = $1`, [checkout.id]);
    expect(rows[0].change_id).toBe(newer.id);
    expect(rows[0].snapshot.state.currentStatus).toBe('accepted');
    expect(rows[0].text).not.toContain('plain-api-key');
    expect(rows[0].text).not.toContain('whsec_');
    const stored = rows[0].snapshot.notifications[0];
    expect(box.decrypt(stored.headers['X-API-Key'], 'header-values')).toBe('plain-api-key');
    const messages = await suite.sql.query(`SELECT headers::text AS headers, secret FROM notifications.messages WHERE order_id = $1`, [checkout.id]);
    expect(messages.rows).toHaveLength(2);
    for (const message of messages.rows) {
      expect(message.headers).not.toContain('plain-api-key');
      expect(box.decrypt(message.secret, 'signing-secrets')).toBe('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
      expect(message.secret).not.toContain('whsec_');
    }
  });

  it('skips an unreadable message, and a malformed registration, instead of blocking the partition', async () => {
    const path = `/after-poison-${Date.now()}`;
    const registration = aRegistration({ url: suite.sink.url(path), scope: [{ pointer: '/state/currentStatus' }] });
    const malformed = { ...aRegistration({ url: suite.sink.url(path) }), scope: 'not a list', headers: undefined } as unknown as Registration;
    const checkout = anOrder({ merchant: 'alpha', notifications: [malformed, registration] });
    await suite.publishRaw(checkout.id, 'not json', JSON.stringify({ id: 'x', type: 'order.unknown' }));
    await suite.publish(aChangeEvent(checkout, withState(checkout, 'processing')));
    const events = await suite.eventsOf(checkout.id);
    expect(events.map((e) => [e.notificationId, e.status])).toEqual([[registration.id, 'succeeded']]);
  });

  it('ignores a registration whose header value, secret or target credential arrives in plaintext, and delivers the sealed ones', async () => {
    const path = `/plaintext-${Date.now()}`;
    const scope = [{ pointer: '/state/currentStatus' }];
    const good = sealed(aRegistration({ url: suite.sink.url(`${path}/good?token=t-1`), headers: { 'X-API-Key': 'k-1' }, scope }));
    const plaintext = [
      { ...good, id: randomUUID(), headers: { 'X-API-Key': 'plain-key' } },
      { ...good, id: randomUUID(), secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      { ...good, id: randomUUID(), auth: { type: 'oauth2_client_credentials' as const, tokenUrl: suite.sink.url('/token'), clientId: 'c', clientSecret: 'plain-client-secret', scope: null, audience: null } },
      { ...good, id: randomUUID(), delivery: 'kafka' as const, kafka: { brokers: ['127.0.0.1:9'], topic: 'orders', ssl: false, sasl: { mechanism: 'plain' as const, username: 'u', password: 'plain-password' } } },
    ];
    const checkout = anOrder({ merchant: 'alpha', notifications: [...plaintext, good] });
    const event = aChangeEvent(checkout, withState(checkout, 'processing'));
    await suite.publishRaw(checkout.id, JSON.stringify(event));
    const events = await suite.eventsOf(checkout.id);
    expect(events.map((e) => [e.notificationId, e.status])).toEqual([[good.id, 'succeeded']]);
    expect(events[0].request.url).toBe(suite.sink.url(`${path}/good?token=********`));
    const [received] = suite.sink.requests.filter((r) => r.path.startsWith(path));
    expect(received.url).toBe(`${path}/good?token=t-1`);
    expect(received.headers['x-api-key']).toBe('k-1');
  });

  it('seals query values a registration stored before they all counted as credentials, and still delivers it', async () => {
    const path = `/legacy-${Date.now()}`;
    const registration = sealed(aRegistration({ url: suite.sink.url(`${path}?token=t-2`), scope: [{ pointer: '/state/currentStatus' }] }));
    // As order-service stored it before: the listed name sealed, any other value as written.
    const legacy = { ...registration, url: `${registration.url}&format=json-legacy` };
    const checkout = anOrder({ merchant: 'alpha', notifications: [legacy] });
    await suite.publishRaw(checkout.id, JSON.stringify(aChangeEvent(checkout, withState(checkout, 'processing'))));
    const events = await suite.eventsOf(checkout.id);
    expect(events.map((e) => [e.status, e.request.url])).toEqual([['succeeded', suite.sink.url(`${path}?token=********&format=********`)]]);
    expect(suite.sink.requests.find((r) => r.path === path)?.url).toBe(`${path}?token=t-2&format=json-legacy`);
    const { rows } = await suite.sql.query<{ url: string }>('SELECT url FROM notifications.messages WHERE order_id = $1', [checkout.id]);
    expect(rows.map((row) => row.url).join()).not.toContain('json-legacy');
  });
});

describe('ingest with a small dispatcher (real PostgreSQL, in-process bus)', () => {
  // Room for 3 (2 slots and a batch of 1) and no poll within the test: the others are sent only if
  // the ids ingest signals for them are claimed as slots free up. Its own suite: the in-process bus
  // is shared by every app of the process, so no other suite may be consuming meanwhile.
  let small: Suite;
  beforeAll(async () => {
    small = await startSuite({ DISPATCH_CONCURRENCY: '2', DISPATCH_BATCH: '1', DISPATCH_POLL_MS: '60000' });
  });
  afterAll(async () => {
    await small?.close();
  });

  it('hands the dispatcher as many attempts leased as it can take, and it claims the rest: each sent once', async () => {
    const path = `/capacity-${Date.now()}`;
    const registrations = Array.from({ length: 12 }, (_, index) =>
      aRegistration({ url: small.sink.url(`${path}/${index}`), scope: normaliseScope({ state: ['processing'] }) }),
    );
    const checkout = anOrder({ merchant: 'alpha', notifications: registrations });
    await small.publish(aChangeEvent(checkout, withState(checkout, 'processing')));
    const events = await small.eventsOf(checkout.id, { count: 12, until: (event) => event.status === 'succeeded' });
    expect(events.every((event) => event.attempt === 1)).toBe(true);
    for (const index of registrations.keys()) expect(small.sink.received(`${path}/${index}`)).toHaveLength(1);
    const leftLeased = await small.sql.query(`SELECT count(*) FROM notifications.events WHERE lease_until IS NOT NULL`);
    expect(Number(leftLeased.rows[0].count)).toBe(0);
  });
});
