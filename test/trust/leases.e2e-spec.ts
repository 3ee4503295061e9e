import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import { ensureBuilt, ServiceProcess } from './support/service-process';
import {
  connect, createOrder, eventually, hook, inBatches, InProcessService, setState, startNotificationService, startOrderService, topicPrefix, TRUST_ENV,
} from './support/services';

jest.setTimeout(180_000);

interface LeasedRow {
  id: string;
  message_id: string;
  lease_until: Date;
}

interface CompletedRow {
  id: string;
  status: string;
  lease_owner: string | null;
  completed_at: Date | null;
}

/** Creates `count` orders, each with one delivery (on processing) to `url`. */
async function ordersTo(orders: InProcessService, url: string, count: number): Promise<void> {
  await inBatches([...Array(count).keys()], 6, async () => {
    const order = await createOrder(orders.http, { notifications: [hook(url, { state: ['processing'] })] });
    await setState(orders.http, order.id, 'processing');
  });
}

/**
 * Two instances share the dispatch table with a lease (1 s) shorter than every call (2.5 s) and than
 * the time rows wait for a slot: the holder renews its leases, the other never takes a row that is
 * held, and a result is written only by the holder. Each attempt reaches the receiver once.
 */
describe('leases held by a live instance are renewed, never taken over (two instances, real PostgreSQL, real Kafka)', () => {
  const ORDER_COUNT = 24;
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: InProcessService;
  const instances: InProcessService[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect(db.url);
    // Every other delivery fails its first attempt, so retries (new attempts, same webhook-id) are claimed too.
    const seen = new Map<string, number>();
    sink = await RecordingSink.start((r) => {
      const count = (seen.get(r.webhookId) ?? 0) + 1;
      seen.set(r.webhookId, count);
      return r.path === '/flaky' && count === 1 ? { status: 503, delayMs: 2500 } : { status: 200, body: 'ok', delayMs: 2500 };
    });
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('leases') };
    orders = await startOrderService(env);
    for (let i = 0; i < 2; i++) {
      instances.push(await startNotificationService({
        ...env,
        LEASE_MS: '1000',
        INSTANCE_HEARTBEAT_MS: '200',
        INSTANCE_TIMEOUT_MS: '5000',
        DELIVERY_TIMEOUT_MS: '10000',
        DISPATCH_CONCURRENCY: '4',
        PER_TARGET_CONCURRENCY: '4',
        CIRCUIT_FAILURE_THRESHOLD: '10000',
      }));
    }
  });

  afterAll(async () => {
    await sink?.close();
    for (const instance of instances) await instance.close();
    await orders?.close();
    await sql?.end();
    await db?.drop();
  });

  it('sends every attempt once, from the instance holding its lease', async () => {
    await ordersTo(orders, sink.url('/steady'), ORDER_COUNT / 2);
    await ordersTo(orders, sink.url('/flaky'), ORDER_COUNT / 2);
    const expected = ORDER_COUNT + ORDER_COUNT / 2;
    await eventually(async () => {
      const [{ n }] = (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications.events WHERE status IN ('succeeded', 'failed')`)).rows;
      return n === expected;
    }, 120_000, () => `${sink.received().length} requests so far`, 200);
    // Quiet for longer than a lease: an attempt whose lease had been lost would be sent a second time by now.
    await sink.until(() => sink.pending().length === 0, 10_000, () => `${sink.pending().length} in flight`);
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const requests = new Map<string, number>();
    for (const r of sink.received()) requests.set(r.webhookId, (requests.get(r.webhookId) ?? 0) + 1);
    const { rows } = await sql.query<{ message_id: string; attempts: number; succeeded: number; unowned: number }>(
      `SELECT e.message_id, count(*)::int AS attempts, count(*) FILTER (WHERE e.status = 'succeeded')::int AS succeeded,
              count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM notifications.dispatch_instances d WHERE d.id = e.lease_owner))::int AS unowned
       FROM notifications.events e GROUP BY e.message_id`);
    expect(rows).toHaveLength(ORDER_COUNT);
    expect(rows.filter((row) => row.succeeded !== 1)).toEqual([]);
    expect(rows.filter((row) => row.attempts === 2)).toHaveLength(ORDER_COUNT / 2);
    // One request per webhook-id and attempt: no attempt sent twice, neither by one instance nor by both.
    expect(rows.filter((row) => requests.get(row.message_id) !== row.attempts)).toEqual([]);
    expect(sink.received()).toHaveLength(expected);
    // Each result was written by a live instance that held the lease.
    expect(rows.filter((row) => row.unowned > 0)).toEqual([]);
    expect(sink.overlaps).toEqual([]);
  });
});

/**
 * An instance is killed with SIGKILL while it holds leased rows, some of them in flight. The lease is
 * long (120 s, the default), the heartbeat timeout short (2 s): the rows are sent again by the other
 * running instance, and after a second kill by the restarted instance itself, each time long before
 * the dead holder's lease would have expired, because a live instance released the leases of the
 * one whose heartbeat stopped.
 */
describe('a killed instance hands its leases on within the heartbeat timeout (separate processes, real PostgreSQL, real Kafka)', () => {
  const BURST = 12;
  const CONCURRENCY = 8;
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: InProcessService;
  let first: ServiceProcess;
  let second: ServiceProcess;

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
    sql = await connect(db.url);
    sink = await RecordingSink.start(() => ({ status: 200, body: 'ok', delayMs: 3000 }));
    const shared = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('heartbeat') };
    orders = await startOrderService(shared);
    const env = {
      ...TRUST_ENV,
      ...shared,
      LOG_LEVEL: 'log',
      LEASE_MS: '120000',
      INSTANCE_HEARTBEAT_MS: '250',
      INSTANCE_TIMEOUT_MS: '2000',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      DELIVERY_TIMEOUT_MS: '10000',
      DISPATCH_CONCURRENCY: String(CONCURRENCY),
      PER_TARGET_CONCURRENCY: String(CONCURRENCY),
      CIRCUIT_FAILURE_THRESHOLD: '10000',
    };
    const logs = mkdtempSync(join(tmpdir(), 'ordercast-heartbeat-'));
    first = await ServiceProcess.start('notification-service', env, join(logs, 'first.log'));
    second = await ServiceProcess.start('notification-service', env, join(logs, 'second.log'));
  });

  afterAll(async () => {
    await sink?.close();
    await first?.stop();
    await second?.stop();
    await orders?.close();
    await sql?.end();
    await db?.drop();
  });

  const instanceOf = (service: ServiceProcess) => {
    const ids = [...service.log().matchAll(/"msg":"dispatcher instance registered","instance":"([0-9a-f-]{36})"/g)].map((m) => m[1]);
    return ids[ids.length - 1];
  };

  /** Waits until `holder` holds leased rows with calls in flight, and returns its pending rows. */
  async function leasedTo(holder: string): Promise<LeasedRow[]> {
    let leased: LeasedRow[] = [];
    await eventually(async () => {
      leased = (await sql.query<LeasedRow>(
        `SELECT id, message_id, lease_until FROM notifications.events WHERE status = 'pending' AND lease_owner = $1`, [holder])).rows;
      const inFlight = new Set(sink.pending().map((r) => r.webhookId));
      return leased.some((row) => inFlight.has(row.message_id));
    }, 60_000, () => `${leased.length} rows leased to ${holder}, ${sink.pending().length} calls in flight`, 100);
    return leased;
  }

  async function completed(rows: LeasedRow[]): Promise<CompletedRow[]> {
    let done: CompletedRow[] = [];
    await eventually(async () => {
      done = (await sql.query<CompletedRow>(
        `SELECT id, status, lease_owner, completed_at FROM notifications.events WHERE id = ANY($1::uuid[])`, [rows.map((row) => row.id)])).rows;
      return done.every((row) => row.status === 'succeeded');
    }, 90_000, () => `${done.filter((row) => row.status === 'succeeded').length} of ${rows.length} rows sent again`, 100);
    return done;
  }

  function expectSentAgainBy(rows: LeasedRow[], done: CompletedRow[], by: string, dead: string): void {
    expect(done).toHaveLength(rows.length);
    // Completed by the live instance, not by the dead one's lease running out: well before it would have.
    expect(done.filter((row) => row.lease_owner !== by)).toEqual([]);
    const leaseEnd = new Map(rows.map((row) => [row.id, row.lease_until.getTime()]));
    expect(done.filter((row) => (row.completed_at as Date).getTime() >= (leaseEnd.get(row.id) as number) - 60_000)).toEqual([]);
    expect(by).not.toBe(dead);
    // Each reached the receiver with an answer, after the dead holder's attempt (if it had one under way) was cut off.
    for (const row of rows) expect(sink.received().some((r) => r.webhookId === row.message_id && r.answeredAt !== null)).toBe(true);
  }

  it('sends the rows of a killed instance from the other instance, then from a restarted one, without waiting for the lease', async () => {
    const survivor = instanceOf(second);
    const victim = instanceOf(first);
    expect(victim).toBeDefined();
    expect(survivor).toBeDefined();

    // The first kill: rows leased to the first instance, some in flight.
    await ordersTo(orders, sink.url('/first'), BURST);
    const leasedToVictim = await leasedTo(victim);
    first.signal('SIGKILL');
    expect(await first.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();
    expectSentAgainBy(leasedToVictim, await completed(leasedToVictim), survivor, victim);
    const handedOnMs = Date.now() - killedAt;

    // The second kill: rows leased to the survivor, which is then restarted and sends them itself.
    await ordersTo(orders, sink.url('/second'), BURST);
    const leasedToSurvivor = await leasedTo(survivor);
    second.signal('SIGKILL');
    expect(await second.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    await second.restart();
    const restartedAt = Date.now();
    const restarted = instanceOf(second);
    expectSentAgainBy(leasedToSurvivor, await completed(leasedToSurvivor), restarted, survivor);
    console.log(`leases: ${leasedToVictim.length} rows of the killed instance sent by the other after ${handedOnMs} ms; ` +
      `${leasedToSurvivor.length} sent by the restarted instance ${Date.now() - restartedAt} ms after its restart`);

    // Nothing of the dead instances is left behind: their heartbeats were removed along with their leases.
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM notifications.dispatch_instances');
    expect(rows.map((row) => row.id)).toEqual([restarted]);
  });
});
