import { normaliseScope, Order, Registration } from '@ordercast/contracts';
import { MASK } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import request from 'supertest';
import { version } from '../../../package.json';
import { REGISTRATION_DELETED, SUBSCRIPTION_DELETED, TARGET_DISABLED_ERROR } from '../src/delivery/attempt-verdict';
import { DispatchSignal } from '../src/delivery/dispatch-signal';
import { InstanceHeartbeat } from '../src/delivery/instance-heartbeat';
import type { EventRecord } from '../src/events/event-record';
import { verifyStandardWebhook } from '../src/signing';
import { aChangeEvent, aRegistration, anOrder, withState } from './fixtures/orders';
import { ALPHA, BETA, EVENTS, NOTIFICATIONS, startSuite, Suite } from './notification-service.fixture';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const MOVED_SECRET = 'whsec_YS1zZWNvbmQtc2lnbmluZy1zZWNyZXQtMzItYnl0ZXM=';
const byAttempt = (events: EventRecord[]) => [...events].sort((a, b) => a.attempt - b.attempt);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('delivery (real PostgreSQL, in-process bus, HTTP sink on loopback)', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await startSuite();
  });
  afterAll(async () => {
    await suite?.close();
  });

  /** Publishes checkout → processing for a new order of merchant alpha carrying this registration. */
  async function moveToProcessing(registration: Partial<Registration>): Promise<{ order: Order; registration: Registration }> {
    const full = aRegistration({ scope: normaliseScope({ state: ['processing'] }), ...registration });
    const before = anOrder({ merchant: 'alpha', notifications: [full] });
    await suite.publish(aChangeEvent(before, withState(before, 'processing')));
    return { order: before, registration: full };
  }

  it('sends a row leased to this instance by a statement whose answer was lost within seconds, not at the end of its lease', async () => {
    // As a claim or a leasing ingest that committed while its connection broke leaves it: pending, due, leased to this
    // (live) instance for another 110 s, and not in its memory.
    const path = `/lost-claim/${Date.now()}`;
    const id = randomUUID();
    await suite.sql.query(
      `WITH m AS (
         INSERT INTO notifications.messages (id, merchant, order_id, change_id, target_id, scope, delivery, url, method, body, created_at)
         VALUES ($1::uuid, 'alpha', 'order-lost', 'change-' || $1::text, 'target-lost', 'state.processing', 'webhook', $2, 'POST', '{"lost":true}', now()) RETURNING id
       )
       INSERT INTO notifications.events (id, message_id, merchant, order_id, channel, scope, type, delivery, attempt, trigger, status, created_at,
                                         next_attempt_at, lease_owner, lease_until)
       SELECT id, id, 'alpha', 'order-lost', 'web', 'state.processing', 'order.state.changed', 'webhook', 1, 'automatic', 'pending', now(),
              now() - interval '10 s', $3::uuid, now() + interval '110 s' FROM m`,
      [id, suite.sink.url(path), suite.app.get(InstanceHeartbeat).id],
    );
    // What ingest says when its leasing insert failed (a failed claim sets the same).
    suite.app.get(DispatchSignal).leaseUncertain();
    const started = Date.now();
    const [received] = await suite.sink.waitFor(1, 20_000, path);
    expect(received.headers['webhook-id']).toBe(id);
    expect(Date.now() - started).toBeLessThan(20_000);
    const status = async () => (await suite.sql.query<{ status: string }>('SELECT status FROM notifications.events WHERE id = $1', [id])).rows[0].status;
    for (const deadline = Date.now() + 5_000; (await status()) === 'pending' && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await status()).toBe('succeeded');
  });

  it('delivers the body of the design with the registration headers, Ordercast headers and signatures, and records the attempt', async () => {
    const path = `/erp/${Date.now()}`;
    const registration = aRegistration({
      url: suite.sink.url(`${path}/{order.id}/import?merchant={merchant}`),
      headers: { 'X-API-Key': 'erp-key-123', 'X-Correlation-Id': 'corr-1' },
      secret: SECRET,
      scope: normaliseScope({ state: ['processing'] }),
    });
    const before = anOrder({ merchant: 'alpha', notifications: [registration] });
    const after = withState(before, 'processing');
    const change = aChangeEvent(before, after);
    const sentAt = Math.floor(Date.now() / 1000);
    await suite.publish(change);

    const [received] = await suite.sink.waitFor(1, 10_000, `${path}/${before.id}/import`);
    expect(received.method).toBe('POST');
    expect(received.url).toBe(`${path}/${before.id}/import?merchant=alpha`);
    const messageId = received.headers['webhook-id'] as string;
    expect(received.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': `Ordercast/${version}`,
      'x-api-key': 'erp-key-123',
      'x-correlation-id': 'corr-1',
      'webhook-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'x-jws-signature': expect.stringMatching(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/),
    });
    const timestamp = Number(received.headers['webhook-timestamp']);
    expect(Math.abs(timestamp - sentAt)).toBeLessThanOrEqual(5);
    expect(verifyStandardWebhook({ secret: SECRET, messageId, timestamp, body: received.body, signature: received.headers['webhook-signature'] as string })).toBe(true);

    const { secret: _secret, ...publicRegistration } = registration;
    expect(JSON.parse(received.body)).toEqual({
      id: messageId,
      type: 'order.state.changed',
      scope: 'state.processing',
      occurredAt: change.occurredAt,
      sequence: change.sequence,
      lastModified: after.lastModified,
      merchant: 'alpha',
      channel: before.channel,
      orderId: before.id,
      notification: { id: registration.id, reference: registration.reference, description: registration.description },
      change: change.change,
      order: { ...after, notifications: [{ ...publicRegistration, url: `${new URL(suite.sink.url('/')).origin}/${MASK}`, headers: { 'X-API-Key': MASK, 'X-Correlation-Id': 'corr-1' } }] },
    });
    expect(received.body).not.toContain('whsec_');

    const [event] = await suite.eventsOf(before.id);
    expect(event).toEqual({
      id: expect.any(String),
      messageId,
      orderId: before.id,
      merchant: 'alpha',
      channel: before.channel,
      notificationId: registration.id,
      subscriptionId: null,
      reference: 'erp-export',
      scope: 'state.processing',
      type: 'order.state.changed',
      attempt: 1,
      retryOf: null,
      trigger: 'automatic',
      status: 'succeeded',
      request: {
        // Every query value is shown masked, also one filled from a placeholder: the Event cannot tell them from credentials.
        url: suite.sink.url(`${path}/${before.id}/import?merchant=${MASK}`),
        method: 'POST',
        headers: {
          'X-API-Key': MASK,
          'X-Correlation-Id': 'corr-1',
          'Content-Type': 'application/json',
          'User-Agent': `Ordercast/${version}`,
          'webhook-id': messageId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': received.headers['webhook-signature'],
          'x-jws-signature': received.headers['x-jws-signature'],
        },
      },
      statusCode: 200,
      responseBody: 'ok',
      responseTruncated: false,
      error: null,
      durationMs: expect.any(Number),
      createdAt: expect.any(String),
      completedAt: expect.any(String),
      nextAttemptAt: null,
      ordered: false,
      sequence: null,
      outOfSequence: false,
      waitingFor: null,
      heldBack: [],
    });
    const single = await request(suite.http).get(`${EVENTS}/${event.id}`).set(ALPHA).expect(200);
    expect(single.body).toEqual(event);
  });

  it('sends GET without a body or Content-Type, and metadata payloads without the order', async () => {
    const path = `/get-${Date.now()}`;
    const { order } = await moveToProcessing({ url: suite.sink.url(path), method: 'GET' });
    const [received] = await suite.sink.waitFor(1, 10_000, path);
    expect(received.method).toBe('GET');
    expect(received.body).toBe('');
    expect(received.headers['content-type']).toBeUndefined();
    expect(received.headers['webhook-id']).toBeDefined();

    const metadataPath = `/metadata-${Date.now()}`;
    const { order: metadataOrder } = await moveToProcessing({ url: suite.sink.url(metadataPath), payload: 'metadata' });
    const [metadata] = await suite.sink.waitFor(1, 10_000, metadataPath);
    const body = JSON.parse(metadata.body);
    expect(body).not.toHaveProperty('order');
    expect(body).toMatchObject({ scope: 'state.processing', merchant: 'alpha', lastModified: withState(metadataOrder, 'processing').lastModified });
    expect((await suite.eventsOf(order.id))[0].status).toBe('succeeded');
  });

  it('retries a failing target as new Events on the schedule until it succeeds: 500, 500, 200', async () => {
    const path = `/flaky-${Date.now()}`;
    suite.sink.respond(path, { status: 500, body: 'boom' }, { status: 500, body: 'boom again' }, { status: 200, body: 'finally' });
    const { order } = await moveToProcessing({ url: suite.sink.url(path) });

    const events = byAttempt(await suite.eventsOf(order.id, { until: (e) => e.status === 'succeeded' }));
    expect(events.map((e) => [e.attempt, e.status, e.statusCode, e.responseBody, e.trigger])).toEqual([
      [1, 'failed', 500, 'boom', 'automatic'],
      [2, 'failed', 500, 'boom again', 'automatic'],
      [3, 'succeeded', 200, 'finally', 'automatic'],
    ]);
    expect(events[1].retryOf).toBe(events[0].id);
    expect(events[2].retryOf).toBe(events[1].id);
    expect(new Set(events.map((e) => e.messageId)).size).toBe(1);
    expect(events[0].nextAttemptAt).not.toBeNull();
    expect(events[0].error).toBe('HTTP 500');

    const received = suite.sink.received(path);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.headers['webhook-id']))).toEqual(new Set([events[0].messageId]));
    expect(new Set(received.map((r) => r.body)).size).toBe(1);
  });

  it('ends a target that refuses connections as dead after the last scheduled attempt', async () => {
    const port = await closedPort();
    const { order } = await moveToProcessing({ url: `http://127.0.0.1:${port}/hook` });

    const events = byAttempt(await suite.eventsOf(order.id, { until: (e) => e.status === 'dead' }));
    expect(events.map((e) => [e.attempt, e.status, e.error, e.statusCode])).toEqual([
      [1, 'failed', 'connection refused', null],
      [2, 'failed', 'connection refused', null],
      [3, 'failed', 'connection refused', null],
      [4, 'dead', 'connection refused', null],
    ]);
    expect(events[3].nextAttemptAt).toBeNull();
  });

  it.each([
    ['a URL invalid once its placeholders are filled', { url: 'http://[{order.id}]/x' }, 'invalid target URL'],
    ['a header value HTTP cannot carry', { url: 'http://127.0.0.1:1/x', headers: { 'X-Key': '€uro' } }, 'Invalid character in header content'],
  ])('ends a delivery no retry can fix as dead at once: %s (registered before the rules that refuse it)', async (_case, registration, error) => {
    const { order } = await moveToProcessing(registration);
    const events = await suite.eventsOf(order.id, { until: (e) => e.status === 'dead' });
    expect(events.map((e) => [e.attempt, e.status, e.nextAttemptAt])).toEqual([[1, 'dead', null]]);
    expect(events[0].error).toContain(error);
  });

  it('does not follow a redirect: the attempt fails', async () => {
    const path = `/moved-${Date.now()}`;
    suite.sink.respond(path, { status: 302, headers: { location: suite.sink.url('/elsewhere') } }, 200);
    const { order } = await moveToProcessing({ url: suite.sink.url(path) });
    const events = byAttempt(await suite.eventsOf(order.id, { until: (e) => e.status === 'succeeded' }));
    expect(events[0]).toMatchObject({ status: 'failed', statusCode: 302, error: `redirect (302) to ${suite.sink.url('/elsewhere')} not followed` });
    expect(suite.sink.received('/elsewhere')).toHaveLength(0);
  });

  it('honours Retry-After on 503 instead of the shorter schedule', async () => {
    const path = `/busy-${Date.now()}`;
    suite.sink.respond(path, { status: 503, headers: { 'retry-after': '1' } }, 200);
    const { order } = await moveToProcessing({ url: suite.sink.url(path) });
    const events = byAttempt(await suite.eventsOf(order.id, { until: (e) => e.status === 'succeeded' }));
    const [first, second] = events;
    expect(Date.parse(first.nextAttemptAt as string) - Date.parse(first.completedAt as string)).toBeGreaterThanOrEqual(990);
    expect(Date.parse(second.completedAt as string) - Date.parse(first.completedAt as string)).toBeGreaterThanOrEqual(990);
  });

  it('disables a registration whose target answers 410 Gone and skips later deliveries to it', async () => {
    const path = `/gone-${Date.now()}`;
    suite.sink.respond(path, 410);
    const registration = aRegistration({ url: suite.sink.url(path), scope: [{ pointer: '/state/currentStatus' }] });
    const checkout = anOrder({ merchant: 'alpha', notifications: [registration] });
    const processing = withState(checkout, 'processing');
    await suite.publish(aChangeEvent(checkout, processing));
    const [gone] = await suite.eventsOf(checkout.id);
    expect(gone).toMatchObject({ status: 'dead', statusCode: 410, error: TARGET_DISABLED_ERROR });

    await suite.publish(aChangeEvent(processing, withState(processing, 'accepted', '2025-01-01T12:00:00.000Z')));
    const events = await suite.eventsOf(checkout.id, { count: 2 });
    expect(events.find((e) => e.scope === 'state.accepted')).toMatchObject({ status: 'dead', error: TARGET_DISABLED_ERROR, statusCode: null, attempt: 1 });
    expect(suite.sink.received(path)).toHaveLength(1);
  });

  it('sends nothing more to a registration deleted from its order: automatic, single and bulk retries are recorded without a call', async () => {
    const path = `/deleted-${Date.now()}`;
    suite.sink.respond(path, { status: 500, delayMs: 800 });
    const { order, registration } = await moveToProcessing({ url: suite.sink.url(path) });
    await suite.sink.waitFor(1, 10_000, path);
    // Deleted while its first attempt is in flight: the automatic attempt that failure schedules is not sent.
    const processing = withState(order, 'processing');
    const deleted = { ...processing, notifications: [], lastModified: '2025-01-01T12:00:00.000Z' };
    await suite.publish(aChangeEvent(processing, deleted, 'order.notifications.changed', { kind: 'notifications', added: [], removed: [registration.id] }));
    const [failed, skipped] = byAttempt(await suite.eventsOf(order.id, { until: (e) => e.status === 'dead' }));
    expect(failed).toMatchObject({ status: 'failed', statusCode: 500, attempt: 1 });
    expect(skipped).toMatchObject({ status: 'dead', error: REGISTRATION_DELETED, statusCode: null, attempt: 2 });

    // Asked for by hand, one by one or in bulk: each retry is recorded failed for the same reason, and nothing is sent.
    suite.sink.respond(path, 200);
    await request(suite.http).post(`${EVENTS}/${skipped.id}/retry`).set(ALPHA).expect(202);
    await suite.eventsOf(order.id, { until: (e) => e.trigger === 'retry' && e.status === 'failed' });
    expect((await request(suite.http).post(`${EVENTS}/retry`).set(ALPHA).send({ status: 'failed', orderId: order.id }).expect(202)).body).toEqual({ count: 1 });
    const events = byAttempt(await suite.eventsOf(order.id, { count: 4 }));
    expect(events.slice(2)).toEqual([
      expect.objectContaining({ trigger: 'retry', status: 'failed', error: REGISTRATION_DELETED, attempt: 3 }),
      expect.objectContaining({ trigger: 'retry', status: 'failed', error: REGISTRATION_DELETED, attempt: 4 }),
    ]);
    expect(suite.sink.received(path)).toHaveLength(1);
  });

  it('sends nothing more to a deleted subscription: a retry of its delivery is recorded without a call', async () => {
    const path = `/deleted-subscription-${Date.now()}`;
    suite.sink.respond(path, 500);
    const subscriptions = `${NOTIFICATIONS}/subscriptions`;
    const created = await request(suite.http).post(subscriptions).set(ALPHA)
      .send({ name: `deleted ${path}`, scope: { state: ['processing'] }, url: suite.sink.url(path), headers: { 'X-API-Key': 'old-key' } })
      .expect(201);
    const checkout = anOrder({ merchant: 'alpha' });
    await suite.publish(aChangeEvent(checkout, withState(checkout, 'processing')));
    const dead = byAttempt(await suite.eventsOf(checkout.id, { until: (e) => e.status === 'dead' })).at(-1) as EventRecord;
    expect(dead.subscriptionId).toBe(created.body.id);
    const calls = suite.sink.received(path).length;

    await request(suite.http).patch(`${subscriptions}/${created.body.id}`).set(ALPHA).send({ enabled: false }).expect(200);
    await request(suite.http).delete(`${subscriptions}/${created.body.id}`).set(ALPHA).expect(204);
    suite.sink.respond(path, 200);
    await request(suite.http).post(`${EVENTS}/${dead.id}/retry`).set(ALPHA).expect(202);
    const [retry] = (await suite.eventsOf(checkout.id, { until: (e) => e.trigger === 'retry' && e.status !== 'pending' })).filter((e) => e.trigger === 'retry');
    expect(retry).toMatchObject({ status: 'failed', error: SUBSCRIPTION_DELETED, statusCode: null });
    expect(suite.sink.received(path)).toHaveLength(calls);
  });

  it("sends a subscription's retries where it points now: a PATCH moving its URL and replacing a header value and the secret applies to earlier deliveries", async () => {
    const oldPath = `/moved-from-${Date.now()}`;
    const newPath = `/moved-to-${Date.now()}`;
    suite.sink.respond(oldPath, 500);
    suite.sink.respond(newPath, 200);
    const subscriptions = `${NOTIFICATIONS}/subscriptions`;
    const created = await request(suite.http).post(subscriptions).set(ALPHA)
      .send({ name: `moved ${oldPath}`, scope: { state: ['processing'] }, url: suite.sink.url(oldPath), headers: { 'X-API-Key': 'old-key' }, secret: SECRET })
      .expect(201);
    const checkout = anOrder({ merchant: 'alpha' });
    await suite.publish(aChangeEvent(checkout, withState(checkout, 'processing')));
    const dead = byAttempt(await suite.eventsOf(checkout.id, { until: (e) => e.status === 'dead' })).at(-1) as EventRecord;
    expect(dead.request).toMatchObject({ url: suite.sink.url(oldPath), headers: expect.objectContaining({ 'X-API-Key': MASK }) });
    const oldCalls = suite.sink.received(oldPath).length;

    await request(suite.http).patch(`${subscriptions}/${created.body.id}`).set(ALPHA)
      .send({ url: suite.sink.url(newPath), headers: { 'X-API-Key': 'new-key' }, secret: MOVED_SECRET, method: 'PUT' })
      .expect(200);
    const retried = await request(suite.http).post(`${EVENTS}/${dead.id}/retry`).set(ALPHA).expect(202);
    // Pending or made by now, the retry shows the request it makes.
    expect(retried.body.request).toEqual({ url: suite.sink.url(newPath), method: 'PUT', headers: expect.objectContaining({ 'X-API-Key': MASK }) });
    const [received] = await suite.sink.waitFor(1, 10_000, newPath);
    expect(received.method).toBe('PUT');
    expect(received.headers['x-api-key']).toBe('new-key');
    expect(received.headers['webhook-id']).toBe(dead.messageId);
    const signed = { messageId: dead.messageId, timestamp: Number(received.headers['webhook-timestamp']), body: received.body, signature: received.headers['webhook-signature'] as string };
    expect(verifyStandardWebhook({ ...signed, secret: MOVED_SECRET })).toBe(true);
    expect(verifyStandardWebhook({ ...signed, secret: SECRET })).toBe(false);
    expect(suite.sink.received(oldPath)).toHaveLength(oldCalls);

    // Each Event shows the request it made: the retry the new URL and method, the earlier attempts the old ones.
    const events = await suite.eventsOf(checkout.id, { until: (e) => e.id === retried.body.id && e.status === 'succeeded' });
    expect(events.find((e) => e.id === retried.body.id)?.request).toEqual({ url: suite.sink.url(newPath), method: 'PUT', headers: expect.objectContaining({ 'X-API-Key': MASK }) });
    expect(events.find((e) => e.id === dead.id)?.request).toMatchObject({ url: suite.sink.url(oldPath), method: 'POST' });

    // Changed to another delivery kind, the subscription has nowhere to send a webhook delivery's retry: it is
    // recorded without a call, and neither the old URL nor the last one gets anything with the removed secret.
    suite.sink.respond(newPath, 500);
    const webhookCalls = suite.sink.received(newPath).length;
    await request(suite.http).patch(`${subscriptions}/${created.body.id}`).set(ALPHA).send({ delivery: 'poll' }).expect(200);
    const again = await request(suite.http).post(`${EVENTS}/${retried.body.id}/retry`).set(ALPHA).expect(202);
    const skipped = (await suite.eventsOf(checkout.id, { until: (e) => e.id === again.body.id && e.status !== 'pending' })).find((e) => e.id === again.body.id);
    expect(skipped).toMatchObject({ status: 'failed', statusCode: null, error: 'subscription changed to poll delivery; this delivery was made for webhook' });
    expect(suite.sink.received(newPath)).toHaveLength(webhookCalls);
    expect(suite.sink.received(oldPath)).toHaveLength(oldCalls);

    // Alpha's later orders are not this test's.
    await request(suite.http).patch(`${subscriptions}/${created.body.id}`).set(ALPHA).send({ enabled: false }).expect(200);
    await request(suite.http).delete(`${subscriptions}/${created.body.id}`).set(ALPHA).expect(204);
  });

  describe('operator retries', () => {
    it('retries a dead delivery once now: same message, trigger retry, retryOf the given event', async () => {
      const path = `/down-${Date.now()}`;
      suite.sink.respond(path, 500);
      const { order } = await moveToProcessing({ url: suite.sink.url(path) });
      const dead = byAttempt(await suite.eventsOf(order.id, { until: (e) => e.status === 'dead' }))[3];
      suite.sink.respond(path, { status: 200, body: 'back' });

      // The retry takes no body: a field in it is refused, not ignored, and nothing is attempted.
      const refused = await request(suite.http).post(`${EVENTS}/${dead.id}/retry`).set(ALPHA).send({ status: 'dead', anything: [1, 2] }).expect(400);
      expect(refused.body.message).toEqual(['status: property status should not exist', 'anything: property anything should not exist']);
      await request(suite.http).post(`${EVENTS}/${dead.id}/retry`).set(ALPHA).send([]).expect(400);
      expect(suite.sink.received(path)).toHaveLength(4);

      const response = await request(suite.http).post(`${EVENTS}/${dead.id}/retry`).set(ALPHA).expect(202);
      expect(response.body).toMatchObject({ attempt: 5, trigger: 'retry', retryOf: dead.id, messageId: dead.messageId, scope: dead.scope, orderId: order.id });
      expect(['pending', 'succeeded']).toContain(response.body.status);

      const events = await suite.eventsOf(order.id, { until: (e) => e.trigger === 'retry' && e.status === 'succeeded' });
      expect(events).toHaveLength(5);
      const received = suite.sink.received(path);
      expect(received).toHaveLength(5);
      expect(received[4].headers['webhook-id']).toBe(dead.messageId);
    });

    it('attempts a failed retry once, without starting an automatic chain', async () => {
      const path = `/still-down-${Date.now()}`;
      suite.sink.respond(path, 500);
      const { order } = await moveToProcessing({ url: suite.sink.url(path) });
      const dead = byAttempt(await suite.eventsOf(order.id, { until: (e) => e.status === 'dead' }))[3];
      await request(suite.http).post(`${EVENTS}/${dead.id}/retry`).set(ALPHA).expect(202);
      const events = await suite.eventsOf(order.id, { until: (e) => e.trigger === 'retry' && e.status === 'failed' });
      // A next attempt is written in the transaction that records the failure, so none can appear later.
      expect(events.filter((e) => e.status === 'pending')).toEqual([]);
      expect(events.find((e) => e.trigger === 'retry')).toMatchObject({ status: 'failed', nextAttemptAt: null, attempt: 5 });
    });

    it('answers 409 while an attempt of the delivery is pending', async () => {
      const path = `/slow-${Date.now()}`;
      suite.sink.respond(path, { status: 200, delayMs: 1500 });
      const { order } = await moveToProcessing({ url: suite.sink.url(path) });
      const [pending] = await suite.eventsOf(order.id, { until: (e) => e.status === 'pending' });
      const conflict = await request(suite.http).post(`${EVENTS}/${pending.id}/retry`).set(ALPHA).expect(409);
      expect(conflict.body.message).toContain('pending');
      await suite.eventsOf(order.id, { until: (e) => e.status === 'succeeded' });
    });

    it('answers 404 for an unknown event and for another merchant\'s', async () => {
      const path = `/fine-${Date.now()}`;
      const { order } = await moveToProcessing({ url: suite.sink.url(path) });
      const [event] = await suite.eventsOf(order.id);
      await request(suite.http).post(`${EVENTS}/${event.id}/retry`).set(BETA).expect(404);
      await request(suite.http).post(`${EVENTS}/00000000-0000-4000-8000-000000000000/retry`).set(ALPHA).expect(404);
      await request(suite.http).post(`${EVENTS}/not-an-id/retry`).set(ALPHA).expect(404);
    });

    it('bulk-retries the dead deliveries that match, and only those', async () => {
      const path = `/bulk-${Date.now()}`;
      suite.sink.respond(path, 500);
      const first = await moveToProcessing({ url: suite.sink.url(path) });
      const second = await moveToProcessing({ url: suite.sink.url(path) });
      await suite.eventsOf(first.order.id, { until: (e) => e.status === 'dead' });
      await suite.eventsOf(second.order.id, { until: (e) => e.status === 'dead' });
      suite.sink.respond(path, 200);

      await request(suite.http).post(`${EVENTS}/retry`).set(BETA).send({ status: 'dead', orderId: first.order.id }).expect(202, { count: 0 });
      await request(suite.http).post(`${EVENTS}/retry`).set(ALPHA).send({ status: 'dead', orderId: first.order.id }).expect(202, { count: 1 });
      const retried = await suite.eventsOf(first.order.id, { until: (e) => e.trigger === 'retry' && e.status === 'succeeded' });
      expect(retried).toHaveLength(5);
      expect((await suite.eventsOf(second.order.id)).some((e) => e.trigger === 'retry')).toBe(false);

      await request(suite.http).post(`${EVENTS}/retry`).set(ALPHA).send({ status: 'dead', notificationId: second.registration.id, since: '2020-01-01T00:00:00Z' }).expect(202, { count: 1 });
      await suite.eventsOf(second.order.id, { until: (e) => e.trigger === 'retry' && e.status === 'succeeded' });
      await request(suite.http).post(`${EVENTS}/retry`).set(ALPHA).send({ status: 'dead', orderId: first.order.id }).expect(202, { count: 0 });
    });

    it('rejects a bulk retry body it does not understand', async () => {
      const bad = async (body: object) => (await request(suite.http).post(`${EVENTS}/retry`).set(ALPHA).send(body).expect(400)).body.message;
      expect(await bad({ status: 'succeeded' })).toEqual([expect.stringContaining('status')]);
      expect(await bad({})).toEqual([expect.stringContaining('status')]);
      expect(await bad({ status: 'dead', since: 'yesterday' })).toEqual([expect.stringContaining('since')]);
      // ISO 8601 JavaScript cannot read (a week date) reached PostgreSQL as NaN: 500 (attack of 2026-12-02).
      expect(await bad({ status: 'dead', since: '2026-W49' })).toEqual([expect.stringContaining('since must be a date')]);
      expect(await bad({ status: 'dead', everything: true })).toEqual([expect.stringContaining('everything')]);
      // A null filter is not an absent one: refused, never run as "order_id = NULL" (nothing) or as no filter (everything).
      expect(await bad({ status: 'dead', orderId: null })).toEqual(['orderId must be an order id (a UUID)']);
      expect(await bad({ status: 'dead', notificationId: null })).toEqual(['notificationId must be a notification id (a UUID)']);
      expect(await bad({ status: 'dead', since: null })).toEqual([expect.stringContaining('since')]);
    });
  });
});
