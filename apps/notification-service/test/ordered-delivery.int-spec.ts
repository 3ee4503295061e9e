import type { Order, OrderChangeEvent } from '@ordercast/contracts';
import { normaliseScope } from '@ordercast/contracts';
import request from 'supertest';
import type { EventRecord } from '../src/events/event-record';
import { aChangeEvent, aRegistration, anOrder, withState } from './fixtures/orders';
import { ALPHA, NOTIFICATIONS, startSuite, Suite } from './notification-service.fixture';

/** An order of merchant alpha with one ordered registration to the sink, and its three state changes in order. */
function orderedChanges(suite: Suite, path: string): { order: Order; changes: OrderChangeEvent[] } {
  const registration = aRegistration({
    url: suite.sink.url(`${path}/{order.id}`),
    scope: normaliseScope({ state: ['processing', 'accepted', 'completed'] }),
    ordered: true,
  });
  const order = anOrder({ merchant: 'alpha', notifications: [registration] });
  const processing = withState(order, 'processing', '2025-01-01T11:00:00.000Z');
  const accepted = withState(processing, 'accepted', '2025-01-01T11:01:00.000Z');
  const completed = withState(accepted, 'completed', '2025-01-01T11:02:00.000Z');
  return { order, changes: [aChangeEvent(order, processing), aChangeEvent(processing, accepted), aChangeEvent(accepted, completed)] };
}

function bodies(suite: Suite, path: string): Array<{ id: string; sequence: number; scope: string; after?: string }> {
  return suite.sink.received(path).map((r) => JSON.parse(r.body) as { id: string; sequence: number; scope: string; after?: string });
}

function byScope(events: EventRecord[], scope: string): EventRecord[] {
  return events.filter((e) => e.scope === scope).sort((a, b) => a.attempt - b.attempt);
}

describe('ordered delivery per order and target (real PostgreSQL, HTTP sink on loopback)', () => {
  describe('a failing first delivery', () => {
    let suite: Suite;

    beforeAll(async () => {
      suite = await startSuite({ RETRY_SCHEDULE: Array(20).fill('150ms').join(',') });
    });
    afterAll(async () => {
      await suite?.close();
    });

    it("holds the order's later changes back until it succeeds, while another order's deliveries to the same target go on", async () => {
      const slow = orderedChanges(suite, '/erp');
      const other = orderedChanges(suite, '/erp');
      const slowPath = `/erp/${slow.order.id}`;
      const otherPath = `/erp/${other.order.id}`;
      suite.sink.respond(slowPath, 500);
      await suite.publish(...slow.changes, ...other.changes);

      // The other order's three deliveries all succeed while the slow order's first one keeps failing.
      await suite.eventsOf(other.order.id, { count: 3, until: (e) => e.status === 'succeeded' });
      const failing = await suite.eventsOf(slow.order.id, { count: 2, until: (e) => e.status === 'failed' });
      expect(bodies(suite, otherPath).map((b) => b.scope)).toEqual(['state.processing', 'state.accepted', 'state.completed']);

      const head = byScope(failing, 'state.processing')[0];
      const [accepted] = byScope(failing, 'state.accepted');
      const [completed] = byScope(failing, 'state.completed');
      expect(accepted).toMatchObject({ status: 'pending', attempt: 1, waitingFor: head.messageId, nextAttemptAt: null, ordered: true, outOfSequence: false });
      expect(completed).toMatchObject({ status: 'pending', attempt: 1, waitingFor: accepted.messageId, nextAttemptAt: null });
      expect(bodies(suite, slowPath).every((b) => b.scope === 'state.processing')).toBe(true);

      const detail = await request(suite.http).get(`${NOTIFICATIONS}/events/${accepted.id}`).set(ALPHA).expect(200);
      expect(detail.body.waitingFor).toBe(head.messageId);

      suite.sink.respond(slowPath, 200);
      const done = await suite.eventsOf(slow.order.id, { count: 3, until: (e) => e.status === 'succeeded' });
      const received = bodies(suite, slowPath);
      const sequences = received.map((b) => b.sequence);
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(received.slice(-3).map((b) => b.scope)).toEqual(['state.processing', 'state.accepted', 'state.completed']);
      expect(received.filter((b) => b.scope === 'state.processing').length).toBeGreaterThanOrEqual(3);
      const succeededHead = byScope(done, 'state.processing').find((e) => e.status === 'succeeded') as EventRecord;
      expect(succeededHead.heldBack).toEqual([accepted.messageId]);
      expect(byScope(done, 'state.accepted')[0]).toMatchObject({ status: 'succeeded', waitingFor: null });
      expect(received.find((b) => b.scope === 'state.accepted')?.after).toBe(head.messageId);
      expect(received.find((b) => b.scope === 'state.processing')?.after).toBeUndefined();
    });

    it('sends a manual trigger at once, outside the sequence, and says so', async () => {
      const { order, changes } = orderedChanges(suite, '/manual');
      suite.sink.respond(`/manual/${order.id}`, 500);
      await suite.publish(changes[0], changes[1]);
      await suite.eventsOf(order.id, { count: 1, until: (e) => e.status === 'failed' });

      const triggered = await request(suite.http).post(`${NOTIFICATIONS}/orders/${order.id}/trigger`).set(ALPHA).send({}).expect(202);
      expect(triggered.body.data[0]).toMatchObject({ trigger: 'manual', ordered: true, outOfSequence: true, sequence: null, waitingFor: null });
      const events = await suite.eventsOf(order.id, { until: (e) => e.trigger === 'manual' && e.status === 'failed' });
      expect(byScope(events, 'state.accepted')[0]).toMatchObject({ status: 'pending', waitingFor: expect.any(String) });
    });
  });

  describe('Retry-After and an open circuit', () => {
    let suite: Suite;

    beforeAll(async () => {
      suite = await startSuite({ RETRY_SCHEDULE: Array(10).fill('50ms').join(','), CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_COOLDOWN_MS: '500' });
    });
    afterAll(async () => {
      await suite?.close();
    });

    it('keep the later changes waiting while the first one is put off', async () => {
      const { order, changes } = orderedChanges(suite, '/paused');
      const path = `/paused/${order.id}`;
      const busy = { status: 503, headers: { 'Retry-After': '1' } };
      suite.sink.respond(path, busy, busy, busy, 200);
      await suite.publish(...changes);

      const events = await suite.eventsOf(order.id, { count: 3, until: (e) => e.status === 'succeeded', timeoutMs: 20_000 });
      const received = bodies(suite, path);
      expect(received.map((b) => b.scope)).toEqual(['state.processing', 'state.processing', 'state.processing', 'state.processing', 'state.accepted', 'state.completed']);
      expect(byScope(events, 'state.processing').map((e) => e.status)).toEqual(['failed', 'failed', 'failed', 'succeeded']);
      expect(received[4].after).toBe(received[0].id);
    });
  });

  describe('an ordered subscription', () => {
    let suite: Suite;

    beforeAll(async () => {
      suite = await startSuite({ RETRY_SCHEDULE: Array(20).fill('100ms').join(',') });
    });
    afterAll(async () => {
      await suite?.close();
    });

    it("sends each order's changes in order, the later ones after the failing first one", async () => {
      await request(suite.http).post(`${NOTIFICATIONS}/subscriptions`).set(ALPHA)
        .send({ name: 'ordered erp', channels: ['ordered-sub'], scope: { state: ['processing', 'accepted', 'completed'] }, url: suite.sink.url('/sub'), ordered: true })
        .expect(201);
      const order = anOrder({ merchant: 'alpha', channel: 'ordered-sub' });
      const processing = withState(order, 'processing', '2025-01-01T11:00:00.000Z');
      const accepted = withState(processing, 'accepted', '2025-01-01T11:01:00.000Z');
      const completed = withState(accepted, 'completed', '2025-01-01T11:02:00.000Z');
      suite.sink.respond('/sub', 500, 500, 200);
      await suite.publish(aChangeEvent(order, processing), aChangeEvent(processing, accepted), aChangeEvent(accepted, completed));

      const events = await suite.eventsOf(order.id, { count: 3, until: (e) => e.status === 'succeeded' });
      const received = bodies(suite, '/sub');
      expect(received.map((b) => b.scope)).toEqual(['state.processing', 'state.processing', 'state.processing', 'state.accepted', 'state.completed']);
      expect(events.every((e) => e.subscriptionId !== null && e.ordered)).toBe(true);
      expect(received[3].after).toBe(received[0].id);
      expect(received[4].after).toBe(received[3].id);
    });
  });

  describe('a first delivery that goes dead', () => {
    let suite: Suite;

    beforeAll(async () => {
      suite = await startSuite({ RETRY_SCHEDULE: '50ms,50ms' });
    });
    afterAll(async () => {
      await suite?.close();
    });

    it('releases the next, which carries `after`, and its Event names what it held back', async () => {
      const { order, changes } = orderedChanges(suite, '/dead');
      const path = `/dead/${order.id}`;
      suite.sink.respond(path, 500, 500, 500, 200);
      await suite.publish(...changes);

      const events = await suite.eventsOf(order.id, { count: 2, until: (e) => e.status === 'succeeded' });
      const received = bodies(suite, path);
      expect(received.map((b) => b.scope)).toEqual(['state.processing', 'state.processing', 'state.processing', 'state.accepted', 'state.completed']);
      const dead = byScope(events, 'state.processing').find((e) => e.status === 'dead') as EventRecord;
      const accepted = byScope(events, 'state.accepted')[0];
      expect(dead.heldBack).toEqual([accepted.messageId]);
      expect(received[3]).toMatchObject({ after: dead.messageId, id: accepted.messageId });
      expect(received[4]).toMatchObject({ after: accepted.messageId });

      // An operator's retry of the dead one goes at once, outside the sequence, and says so.
      const retried = await request(suite.http).post(`${NOTIFICATIONS}/events/${dead.id}/retry`).set(ALPHA).expect(202);
      expect(retried.body).toMatchObject({ trigger: 'retry', ordered: true, outOfSequence: true, waitingFor: null });
      await suite.eventsOf(order.id, { until: (e) => e.trigger === 'retry' && e.status === 'succeeded' });
      expect(bodies(suite, path)).toHaveLength(6);
    });

    it('does not hold an unordered target back', async () => {
      const registration = aRegistration({ url: suite.sink.url('/plain/{order.id}'), scope: normaliseScope({ state: ['processing', 'accepted'] }) });
      const order = anOrder({ merchant: 'alpha', notifications: [registration] });
      const processing = withState(order, 'processing');
      const accepted = withState(processing, 'accepted', '2025-01-01T11:01:00.000Z');
      suite.sink.respond(`/plain/${order.id}`, 500, 500, 500, 200);
      await suite.publish(aChangeEvent(order, processing), aChangeEvent(processing, accepted));
      const events = await suite.eventsOf(order.id, { count: 2, until: (e) => e.status !== 'pending' });
      expect(events.every((e) => !e.ordered && e.waitingFor === null && e.sequence === null)).toBe(true);
      expect(bodies(suite, `/plain/${order.id}`).every((b) => b.after === undefined)).toBe(true);
    });
  });
});
