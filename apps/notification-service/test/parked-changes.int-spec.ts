import { normaliseScope, Order } from '@ordercast/contracts';
import request from 'supertest';
import { MAX_INGEST_ATTEMPTS } from '../src/ingest/ingest-attempts';
import { ScopeMatcher } from '../src/matching/scope-matcher';
import { aChangeEvent, aRegistration, anOrder, withState } from './fixtures/orders';
import { TEST_OPERATOR_TOKEN } from '../../../test/support/env';
import { ALPHA, NOTIFICATIONS, startSuite, Suite } from './notification-service.fixture';

const PARKED = `${NOTIFICATIONS}/operator/parked-changes`;

/**
 * Poison changes: a change whose ingest keeps failing, or keeps crashing the process, is parked
 * after MAX_INGEST_ATTEMPTS and the rest of its partition is ingested. The failure is injected
 * for real by replacing the matcher's evaluate() on the running service (test-only), so every
 * delivery of that one change throws inside ingest.
 */
describe('parking poison changes (real PostgreSQL, in-process bus)', () => {
  let suite: Suite;
  let poisoned: (order: Order) => boolean;
  let poisonedCalls = 0;

  beforeAll(async () => {
    suite = await startSuite();
    const matcher = suite.app.get(ScopeMatcher);
    const evaluate = matcher.evaluate.bind(matcher);
    jest.spyOn(matcher, 'evaluate').mockImplementation((targets, previous, order) => {
      if (poisoned(order)) {
        poisonedCalls += 1;
        throw new Error(`injected failure for order ${order.id}`);
      }
      return evaluate(targets, previous, order);
    });
  });
  afterAll(async () => {
    await suite?.close();
  });

  const rows = async (sql: string, params: unknown[]) => (await suite.sql.query(sql, params)).rows;

  /** An order whose every state change is delivered to the sink. */
  const anOrderWithHook = (path: string) =>
    anOrder({ merchant: 'alpha', notifications: [aRegistration({ url: suite.sink.url(path), scope: normaliseScope({ state: ['processing', 'accepted', 'completed'] }) })] });

  it('parks a change whose ingest throws every time after a few attempts, and ingests the changes after it in its partition', async () => {
    const checkout = anOrderWithHook(`/poison-${Date.now()}`);
    const processing = withState(checkout, 'processing', '2025-01-01T11:00:00.000Z');
    const accepted = withState(processing, 'accepted', '2025-01-01T12:00:00.000Z');
    const poison = aChangeEvent(checkout, processing);
    poisoned = (order) => order.id === checkout.id && order.state.currentStatus === 'processing';
    poisonedCalls = 0;

    // Same order, so the same partition: the later change waits behind the poison one until it is parked.
    await suite.publish(poison, aChangeEvent(processing, accepted));
    const events = await suite.eventsOf(checkout.id, { timeoutMs: 20_000 });
    expect(events.map((event) => event.scope)).toEqual(['state.accepted']);

    const [parked] = await rows(`SELECT * FROM notifications.parked_changes WHERE change_id = $1`, [poison.id]);
    expect(parked).toMatchObject({ merchant: 'alpha', order_id: checkout.id, type: 'order.state.changed', attempts: MAX_INGEST_ATTEMPTS, reason: `injected failure for order ${checkout.id}` });
    expect(parked.event).toMatchObject({ id: poison.id, orderId: checkout.id });
    expect(poisonedCalls).toBe(MAX_INGEST_ATTEMPTS);
    expect(await rows(`SELECT * FROM notifications.ingest_attempts WHERE change_id = $1`, [poison.id])).toEqual([]);

    const metrics = await request(suite.http).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^ordercast_parked_changes_total 1$/m);

    // Operators list it (every merchant's, so never a merchant token), without the snapshots.
    const listed = await request(suite.http).get(PARKED).set('authorization', `Bearer ${TEST_OPERATOR_TOKEN}`).expect(200);
    expect(listed.body).toEqual({
      data: [{
        changeId: poison.id, orderId: checkout.id, merchant: 'alpha', channel: checkout.channel, type: 'order.state.changed', occurredAt: poison.occurredAt,
        topic: expect.stringContaining('checkout.order-events.v1'), partition: expect.any(Number), offset: expect.any(String), attempts: MAX_INGEST_ATTEMPTS,
        reason: `injected failure for order ${checkout.id}`, parkedAt: expect.any(String),
      }],
      pagination: { offset: 0, limit: 50, size: 1, totalSize: 1 },
    });
    await request(suite.http).get(PARKED).set(ALPHA).expect(403);
    await request(suite.http).get(PARKED).expect(401);
    await request(suite.http).get(PARKED).query({ limit: 0 }).set('authorization', `Bearer ${TEST_OPERATOR_TOKEN}`).expect(400);

    // Delivered again (a replay of the topic), it is skipped at once; the change after it proves the partition moved on.
    const completed = withState(accepted, 'completed', '2025-01-01T13:00:00.000Z');
    await suite.publish(poison, aChangeEvent(accepted, completed));
    await suite.eventsOf(checkout.id, { count: 2 });
    expect(poisonedCalls).toBe(MAX_INGEST_ATTEMPTS);
  });

  it('ends a crash loop: a change whose earlier attempts never finished is parked, the change next to it is ingested', async () => {
    poisoned = () => false;
    const crashing = anOrderWithHook(`/crash-${Date.now()}`);
    const crashChange = aChangeEvent(crashing, withState(crashing, 'processing'));
    const innocent = aChangeEvent(withState(crashing, 'processing'), withState(crashing, 'accepted', '2025-01-01T12:00:00.000Z'));
    // What three deliveries that each killed the process leave behind: each was counted before the work started and never
    // cleared. The change after it in the batch was counted by the first delivery only (later ones took changes one at a time).
    await suite.sql.query(
      `INSERT INTO notifications.ingest_attempts (change_id, merchant, order_id, attempts) VALUES ($1, 'alpha', $2, $3), ($4, 'alpha', $2, 1)`,
      [crashChange.id, crashing.id, MAX_INGEST_ATTEMPTS, innocent.id],
    );

    await suite.publish(crashChange, innocent);
    const events = await suite.eventsOf(crashing.id);
    expect(events.map((event) => event.scope)).toEqual(['state.accepted']);
    const [parked] = await rows(`SELECT attempts, reason FROM notifications.parked_changes WHERE change_id = $1`, [crashChange.id]);
    expect(parked).toEqual({ attempts: MAX_INGEST_ATTEMPTS, reason: `ingest did not finish in ${MAX_INGEST_ATTEMPTS} attempts: the service stopped or crashed while ingesting it` });
    expect(await rows(`SELECT * FROM notifications.ingest_attempts WHERE change_id = ANY($1)`, [[crashChange.id, innocent.id]])).toEqual([]);
  });

  it('does not park a change that failed fewer times: it is ingested once the failure stops', async () => {
    const order = anOrderWithHook(`/flaky-${Date.now()}`);
    let failures = 0;
    poisoned = (candidate) => candidate.id === order.id && failures++ < MAX_INGEST_ATTEMPTS - 1;
    const change = aChangeEvent(order, withState(order, 'processing'));
    await suite.publish(change);
    const [event] = await suite.eventsOf(order.id);
    expect(event).toMatchObject({ scope: 'state.processing', status: 'succeeded' });
    expect(await rows(`SELECT * FROM notifications.parked_changes WHERE change_id = $1`, [change.id])).toEqual([]);
  });
});
