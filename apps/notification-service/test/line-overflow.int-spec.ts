import { normaliseScope } from '@ordercast/contracts';
import { randomUUID } from 'node:crypto';
import { ResultWriter } from '../src/delivery/result-writer';
import { aChangeEvent, aRegistration, anOrder, withState } from './fixtures/orders';
import { startSuite, Suite } from './notification-service.fixture';

const PER_TARGET = 2;
const BURST = 60;

/**
 * A burst to one endpoint larger than its line: the rows past the line's room stay leased to the
 * instance, kept by id, and are read back as the line drains, instead of each being given back to
 * the database and claimed again. Observed through a spy on the result writer's deferrals (every
 * give-back goes through it) and the sink; the calls still go to a real receiver.
 */
describe('a burst larger than its endpoint line (real PostgreSQL, in-process bus)', () => {
  let suite: Suite;
  const deferred: string[] = [];

  beforeAll(async () => {
    suite = await startSuite({ DISPATCH_CONCURRENCY: '4', PER_TARGET_CONCURRENCY: String(PER_TARGET), DISPATCH_BATCH: '4', LEASE_MS: '10000' });
    const results = suite.app.get(ResultWriter);
    const defer = results.defer.bind(results);
    results.defer = (deferral) => {
      deferred.push(deferral.eventId);
      defer(deferral);
    };
  });
  afterAll(async () => {
    await suite?.close();
  });

  /** `count` orders of alpha, each with a registration to `path`/{order.id} on the sink answering after `delayMs`, each moved to processing, in one publish. */
  async function burst(path: string, count: number, delayMs = 0): Promise<void> {
    const changes = [...Array(count).keys()].map(() => {
      const registration = aRegistration({ url: suite.sink.url(`${path}/{order.id}`), scope: normaliseScope({ state: ['processing'] }) });
      const before = anOrder({ merchant: 'alpha', notifications: [registration] });
      suite.sink.respond(`${path}/${before.id}`, { status: 200, delayMs });
      return aChangeEvent(before, withState(before, 'processing'));
    });
    await suite.publish(...changes);
  }

  const sentTo = (path: string) => suite.sink.received().filter((r) => r.path.startsWith(`${path}/`));
  const count = async (where: string) => (await suite.sql.query(`SELECT count(*)::int AS n FROM notifications.events WHERE ${where}`)).rows[0].n as number;

  it('delivers every row once and gives none back to the database', async () => {
    // The endpoint's typical call time sets how many rows may be kept for it; one call teaches it.
    await burst('/burst', 1);
    await suite.sink.waitFor(1, 10_000);
    deferred.length = 0;

    await burst('/burst', BURST);
    await suite.sink.waitFor(1 + BURST, 20_000);
    for (let waited = 0; (await count(`status = 'pending'`)) > 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));

    const requests = sentTo('/burst');
    expect(requests).toHaveLength(1 + BURST);
    expect(new Set(requests.map((r) => r.headers['webhook-id'])).size).toBe(1 + BURST);
    expect(deferred).toEqual([]);
    expect(await count(`status <> 'succeeded'`)).toBe(0);
  });

  /**
   * One call to `path` to learn its time, then 40 rows for it answering after 300 ms: the line stays
   * full, so once the first calls started most of the burst is kept by id.
   */
  async function fillTheLine(path: string): Promise<void> {
    await burst(path, 1);
    await suite.sink.waitFor(sentTo(path).length + 1, 10_000, undefined);
    await burst(path, 40, 300);
    const started = async () => sentTo(path).length >= 1 + PER_TARGET && (await count(`status = 'pending'`)) === 40;
    for (let waited = 0; !(await started()) && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  it('does not send a kept row whose lease moved to another instance meanwhile', async () => {
    await fillTheLine('/moved');
    const movedAt = new Date();
    const { rows: moved } = await suite.sql.query(
      `UPDATE notifications.events SET lease_owner = $1 WHERE status = 'pending' AND lease_owner IS NOT NULL RETURNING message_id`,
      [randomUUID()],
    );
    expect(moved.length).toBeGreaterThan(30);
    await new Promise((resolve) => setTimeout(resolve, 3000));

    // Rows already read into the line (DISPATCH_CONCURRENCY of them) may still go until a renewal
    // finds their lease gone; none of the kept ones is read back.
    const movedMessages = new Set(moved.map((row) => row.message_id as string));
    const sentAfter = sentTo('/moved').filter((r) => r.receivedAt > movedAt && movedMessages.has(r.headers['webhook-id'] as string));
    expect(sentAfter.length).toBeLessThanOrEqual(4);
  });

  it('records a kept row whose target was disabled meanwhile without calling it', async () => {
    await fillTheLine('/disabled');
    const disabledAt = new Date();
    const { rows: disabled } = await suite.sql.query(
      `INSERT INTO notifications.disabled_registrations (merchant, notification_id, order_id, event_id, reason)
       SELECT merchant, notification_id, order_id, id, 'disabled by the test' FROM notifications.events WHERE status = 'pending'
       RETURNING event_id`,
    );
    expect(disabled.length).toBeGreaterThan(30);
    for (let waited = 0; (await count(`status = 'pending'`)) > 0 && waited < 15_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));

    // As in the test above, rows already in the line may still go; none of the kept ones is sent.
    const sentAfter = sentTo('/disabled').filter((r) => r.receivedAt > disabledAt);
    expect(sentAfter.length).toBeLessThanOrEqual(4);
    expect(await count(`status = 'pending'`)).toBe(0);
    const skipped = await count(`error = 'disabled by the test' AND id = ANY('{${disabled.map((row) => row.event_id).join(',')}}'::uuid[])`);
    expect(skipped).toBeGreaterThanOrEqual(disabled.length - 4);
  });
});
