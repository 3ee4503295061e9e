import { normaliseScope } from '@ordercast/contracts';
import type { EventRecord } from '../src/events/event-record';
import { aChangeEvent, aRegistration, anOrder, withState } from './fixtures/orders';
import { startSuite, Suite } from './notification-service.fixture';

/** Long enough that the held-back checks below run well inside it; the test waits it out once. */
const COOLDOWN_MS = 3000;

describe('circuit breaker per target host (real PostgreSQL, HTTP sink on loopback)', () => {
  let suite: Suite;

  beforeAll(async () => {
    suite = await startSuite({ CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_COOLDOWN_MS: String(COOLDOWN_MS), RETRY_SCHEDULE: '50ms,50ms,50ms,50ms' });
  });
  afterAll(async () => {
    await suite?.close();
  });

  async function publishFor(path: string): Promise<string> {
    const registration = aRegistration({ url: suite.sink.url(path), scope: normaliseScope({ state: ['processing'] }) });
    const order = anOrder({ merchant: 'alpha', notifications: [registration] });
    await suite.publish(aChangeEvent(order, withState(order, 'processing')));
    return order.id;
  }

  it('holds deliveries to a failing host back while open, without failing them, and lets them through after a successful probe', async () => {
    suite.sink.respond('/unstable', 500);
    const failing = await publishFor('/unstable');
    const opened = await suite.eventsOf(failing, { count: 2, until: (e) => e.status === 'failed' });
    const openedAt = Math.max(...opened.filter((e) => e.status === 'failed').map((e) => Date.parse(e.completedAt as string)));

    // The circuit is open: the due retry and a new delivery to the same host are given back until
    // it closes (their next attempt moved to the end of the cooldown), still pending, not attempted.
    const waiting = await publishFor('/unstable-too');
    const heldBack = (event: EventRecord) =>
      event.status === 'pending' && event.statusCode === null && Date.parse(event.nextAttemptAt as string) >= openedAt + COOLDOWN_MS - 50;
    const held = await suite.eventsOf(failing, { until: (e) => e.attempt === 3 && heldBack(e) });
    expect(held.filter((e) => e.status === 'failed')).toHaveLength(2);
    const [newcomer] = await suite.eventsOf(waiting, { until: heldBack });
    expect(newcomer).toMatchObject({ status: 'pending', attempt: 1 });
    expect(suite.sink.received('/unstable')).toHaveLength(2);
    expect(suite.sink.received('/unstable-too')).toHaveLength(0);

    suite.sink.respond('/unstable', 200);
    const recovered = await suite.eventsOf(failing, { until: (e) => e.status === 'succeeded', timeoutMs: 10_000 });
    expect(recovered.find((e) => e.status === 'succeeded')?.attempt).toBe(3);
    const [delivered] = await suite.eventsOf(waiting, { until: (e) => e.status === 'succeeded', timeoutMs: 10_000 });
    expect(delivered.attempt).toBe(1);
    expect(Date.parse(delivered.completedAt as string)).toBeGreaterThanOrEqual(openedAt + COOLDOWN_MS - 50);
  });
});
