import { ensureSchema, postgresOptions } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { AttemptResult, DispatchRepository } from '../src/delivery/dispatch.repository';
import { notificationDatabase } from '../src/notification-database';

jest.setTimeout(60_000);

const LEASE_MS = 60_000;

/**
 * The dispatch table's contract, on the repository alone (no dispatcher claiming alongside): the
 * claim is fair across merchants, a lease names its holder and only the holder writes, renews or
 * defers, and the leases of an instance whose heartbeat stopped are released by a live one.
 */
describe('dispatch leases and fair claims (real PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repository: DispatchRepository;

  beforeAll(async () => {
    db = await createTestDatabase();
    await ensureSchema(db.url, 'notifications');
    dataSource = new DataSource(postgresOptions(notificationDatabase(db.url)));
    await dataSource.initialize();
    repository = new DispatchRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  beforeEach(async () => {
    await dataSource.query('TRUNCATE notifications.events, notifications.messages, notifications.dispatch_instances');
  });

  /** `count` due webhook attempts of `merchant`, due `agoMs` ago (older first). */
  async function pending(merchant: string, count: number, agoMs: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => randomUUID());
    await dataSource.query(
      `WITH m AS (
         INSERT INTO notifications.messages (id, merchant, order_id, change_id, target_id, scope, delivery, url, method, body, created_at)
         SELECT id, $2, 'order-' || n, 'change-' || id, 'target', 'state.processing', 'webhook', 'http://127.0.0.1:9/hook', 'POST', '{}', now()
         FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)
         RETURNING id
       )
       INSERT INTO notifications.events (id, message_id, merchant, order_id, channel, scope, type, delivery, attempt, trigger, status, created_at, next_attempt_at)
       SELECT id, id, $2, 'order', 'web', 'state.processing', 'order.state.changed', 'webhook', 1, 'automatic', 'pending', now(),
              now() - ($3::int - n::int) * interval '1 millisecond'
       FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [ids, merchant, agoMs],
    );
    return ids;
  }

  const succeeded = (eventId: string): AttemptResult => ({
    eventId, status: 'succeeded', statusCode: 200, responseBody: 'ok', responseTruncated: false, error: null,
    durationMs: 1, completedAt: new Date(), requestHeaders: {}, movedTo: null, retry: null, disableTarget: false, inSequence: false,
  });

  const rowOf = async (id: string) =>
    (await dataSource.query<Array<{ status: string; lease_owner: string | null; lease_until: Date | null }>>(
      'SELECT status, lease_owner, lease_until FROM notifications.events WHERE id = $1', [id]))[0];

  it("claims a merchant's single fresh row alongside another merchant's older backlog of hundreds", async () => {
    const backlog = await pending('noisy', 500, 60_000);
    const fresh = await pending('quiet', 2, 10);
    const owner = randomUUID();
    const claimed = await repository.claimDue(10, LEASE_MS, owner);
    // Two merchants with due rows: half the batch each at most, so the quiet merchant's rows are in it.
    expect(claimed.filter((row) => row.merchant === 'quiet').map((row) => row.id).sort()).toEqual([...fresh].sort());
    // The noisy merchant's share is its oldest rows, in order.
    expect(claimed.filter((row) => row.merchant === 'noisy').map((row) => row.id)).toEqual(backlog.slice(0, 5));
    const [{ owners }] = await dataSource.query<Array<{ owners: string[] }>>(
      `SELECT array_agg(DISTINCT lease_owner::text) AS owners FROM notifications.events WHERE id = ANY($1::uuid[])`, [claimed.map((row) => row.id)]);
    expect(owners).toEqual([owner]);
    // The next claim: the quiet merchant has nothing due any more, so the noisy one gets the whole batch, next in line.
    expect((await repository.claimDue(10, LEASE_MS, owner)).map((row) => row.id)).toEqual(backlog.slice(5, 15));
  });

  it('writes a result, a deferral or a renewal only for the instance holding the lease', async () => {
    const [id] = await pending('alpha', 1, 10);
    const holder = randomUUID();
    const other = randomUUID();
    await repository.claimByIds([id], LEASE_MS, holder);

    await repository.record([succeeded(id)], [], other);
    await repository.record([], [{ eventId: id, until: new Date(Date.now() + 60_000) }], other);
    expect(await repository.renew([id], LEASE_MS, other)).toEqual(new Set());
    expect(await rowOf(id)).toMatchObject({ status: 'pending', lease_owner: holder });

    expect(await repository.renew([id], LEASE_MS, holder)).toEqual(new Set([id]));
    await repository.record([succeeded(id)], [], holder);
    expect(await rowOf(id)).toMatchObject({ status: 'succeeded' });
  });

  it('lets a result of a row whose lease moved to another instance change nothing', async () => {
    const [id] = await pending('alpha', 1, 10);
    const first = randomUUID();
    const second = randomUUID();
    await repository.claimByIds([id], 1000, first);
    await dataSource.query(`UPDATE notifications.events SET lease_until = now() - interval '1 second' WHERE id = $1`, [id]);
    expect((await repository.claimDue(10, LEASE_MS, second)).map((row) => row.id)).toEqual([id]);

    await repository.record([{ ...succeeded(id), status: 'failed', statusCode: 500, retry: { eventId: randomUUID(), at: new Date() } }], [], first);
    expect(await rowOf(id)).toMatchObject({ status: 'pending', lease_owner: second });
    const [{ attempts }] = await dataSource.query<Array<{ attempts: number }>>('SELECT count(*)::int AS attempts FROM notifications.events');
    expect(attempts).toBe(1);
  });

  it("releases the leases of an instance whose heartbeat stopped, and tells that instance when it beats again", async () => {
    const ids = await pending('alpha', 3, 10);
    const silent = randomUUID();
    const live = randomUUID();
    expect(await repository.heartbeat(silent)).toBe(false);
    expect(await repository.heartbeat(silent)).toBe(true);
    await repository.heartbeat(live);
    await repository.claimByIds(ids, LEASE_MS, silent);

    expect(await repository.releaseSilent(5_000)).toEqual({ instances: 0, rows: 0 });
    await dataSource.query(`UPDATE notifications.dispatch_instances SET last_seen = now() - interval '10 seconds' WHERE id = $1`, [silent]);
    expect(await repository.releaseSilent(5_000)).toEqual({ instances: 1, rows: 3 });
    for (const id of ids) expect(await rowOf(id)).toMatchObject({ status: 'pending', lease_owner: null, lease_until: null });
    // Claimable at once, long before the 60 s lease would have run out.
    expect(await repository.claimDue(10, LEASE_MS, live)).toHaveLength(3);
    // The silent instance learns on its next beat that what it held is gone.
    expect(await repository.heartbeat(silent)).toBe(false);
  });

  it('gives back what an instance still holds when it unregisters', async () => {
    const ids = await pending('alpha', 2, 10);
    const owner = randomUUID();
    await repository.heartbeat(owner);
    await repository.claimByIds(ids, LEASE_MS, owner);
    await repository.unregister(owner);
    for (const id of ids) expect(await rowOf(id)).toMatchObject({ lease_owner: null, lease_until: null });
    const [{ instances }] = await dataSource.query<Array<{ instances: number }>>('SELECT count(*)::int AS instances FROM notifications.dispatch_instances');
    expect(instances).toBe(0);
  });

  it('gives back the rows leased to an instance that it does not hold, once leased longer ago than the grace', async () => {
    const [orphan, held, fresh, others] = await pending('alpha', 4, 1000);
    const owner = randomUUID();
    const other = randomUUID();
    // As a claim whose answer the connection lost leaves them: leased 10 s ago (orphan, held), just now (fresh), or to another instance.
    await dataSource.query(
      `UPDATE notifications.events SET lease_owner = CASE WHEN id = $4 THEN $2::uuid ELSE $1::uuid END,
              lease_until = now() + CASE WHEN id = $3 THEN interval '60 s' ELSE interval '50 s' END
       WHERE id = ANY($5::uuid[])`,
      [owner, other, fresh, others, [orphan, held, fresh, others]],
    );
    expect(await repository.releaseUnheld(owner, [held], LEASE_MS, 5_000)).toBe(1);
    expect(await rowOf(orphan)).toMatchObject({ status: 'pending', lease_owner: null, lease_until: null });
    for (const id of [held, fresh]) expect(await rowOf(id)).toMatchObject({ lease_owner: owner });
    expect(await rowOf(others)).toMatchObject({ lease_owner: other });
  });
});
