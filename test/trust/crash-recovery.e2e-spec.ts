import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../support/database';
import { untilQuiet } from '../support/quiet';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import { ensureBuilt, ServiceProcess } from './support/service-process';
import {
  connect, createOrder, hook, inBatches, InProcessService, setState, startOrderService, topicPrefix, TRUST_ENV,
} from './support/services';

jest.setTimeout(120_000);

const ORDER_COUNT = 200;
const LEASE_MS = 2000;
const SCOPES = ['state.checkout', 'state.processing'];

/**
 * notification-service is killed with SIGKILL (no shutdown hook, nothing flushed) in the middle of a
 * burst while deliveries are in flight, and started again: every expected delivery still reaches the
 * receiver; the only duplicates are redeliveries of attempts that were in flight, with their webhook-id.
 */
describe('crash of notification-service mid-burst (real process, real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: InProcessService;
  let notifications: ServiceProcess;
  let holding = false;

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
    sql = await connect(db.url);
    // Requests that arrive while `holding` is set hang far past the kill, so the kill lands on calls in
    // flight however late this process's event loop gets to the closed sockets.
    sink = await RecordingSink.start(() => ({ status: 200, body: 'ok', delayMs: holding ? 30_000 : 200 }));
    const shared = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('crash') };
    orders = await startOrderService(shared);
    notifications = await ServiceProcess.start('notification-service', {
      ...TRUST_ENV,
      ...shared,
      LOG_LEVEL: 'log',
      LEASE_MS: String(LEASE_MS),
      DISPATCH_POLL_MS: '100',
      DISPATCH_CONCURRENCY: '64',
      PER_TARGET_CONCURRENCY: '16',
      CIRCUIT_FAILURE_THRESHOLD: '10000',
      DELIVERY_TIMEOUT_MS: '10000',
    }, join(mkdtempSync(join(tmpdir(), 'ordercast-crash-')), 'notification-service.log'));
  });

  afterAll(async () => {
    await notifications?.stop();
    await orders?.close();
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  it('delivers every notification after a SIGKILL and restart; duplicates are only in-flight attempts, with the same webhook-id', async () => {
    const orderIds: string[] = [];
    const registration = hook(sink.url('/crash'), { state: ['checkout', 'processing'] });
    const burst = inBatches([...Array(ORDER_COUNT).keys()], 8, async () => {
      const order = await createOrder(orders.http, { notifications: [registration] });
      orderIds.push(order.id);
      await setState(orders.http, order.id, 'processing');
    });

    await sink.until(() => sink.requests.length >= 100, 60_000, () => `${sink.requests.length} requests before the kill`);
    holding = true;
    const held = sink.requests.length;
    await sink.until(() => sink.requests.length >= held + 4, 30_000, () => `${sink.requests.length - held} requests held before the kill`);
    const inFlightAtKill = sink.pending().length;
    notifications.signal('SIGKILL');
    expect(await notifications.exited()).toEqual({ code: null, signal: 'SIGKILL' });
    holding = false;
    expect(inFlightAtKill).toBeGreaterThan(0);

    // order-service keeps taking the burst while notification-service is down.
    await burst;
    expect(orderIds).toHaveLength(ORDER_COUNT);
    // Everything received so far was sent by the killed process (some of it arrives just after the signal).
    const sentByTheKilledProcess = new Set(sink.requests.map((r) => r.webhookId));
    await notifications.restart();

    const expected = orderIds.flatMap((orderId) => SCOPES.map((scope) => `${orderId} ${scope}`));
    const pairsOf = () => {
      const byPair = new Map<string, Set<string>>();
      for (const r of sink.received('/crash')) {
        const body = JSON.parse(r.body) as { orderId: string; scope: string; id: string };
        expect(body.id).toBe(r.webhookId);
        const pair = `${body.orderId} ${body.scope}`;
        byPair.set(pair, (byPair.get(pair) ?? new Set()).add(r.webhookId));
      }
      return byPair;
    };
    const missing = () => {
      const arrived = pairsOf();
      return expected.filter((pair) => !arrived.has(pair));
    };
    await sink.until(() => missing().length === 0, 60_000, () => `${expected.length - missing().length} of ${expected.length} deliveries arrived`, 250);
    // An attempt left leased or pending keeps the pipeline busy until it is delivered again (its lease
    // expired), so once it is quiet every repeat there will be has arrived.
    await untilQuiet(sql);

    const byPair = pairsOf();
    expect([...byPair.keys()].sort()).toEqual([...expected].sort());
    // One message per (order, scope): a redelivered change event created nothing new.
    expect([...byPair.values()].filter((ids) => ids.size !== 1)).toEqual([]);

    const counts = new Map<string, number>();
    for (const r of sink.received('/crash')) counts.set(r.webhookId, (counts.get(r.webhookId) ?? 0) + 1);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    // At-least-once: only an attempt the killed process had under way (result not written) is sent again.
    expect(duplicated.filter((id) => !sentByTheKilledProcess.has(id))).toEqual([]);
    expect(duplicated.every((id) => counts.get(id) === 2)).toBe(true);
    expect(sink.overlaps).toEqual([]);
    // The held calls were cut off by the kill, not answered.
    expect(sink.received().slice(held).filter((r) => r.abandoned).length).toBeGreaterThanOrEqual(4);

    const { rows } = await sql.query<{ status: string; attempt: number; n: number }>(
      `SELECT status, attempt, count(*)::int AS n FROM notifications.events GROUP BY status, attempt`);
    expect(rows).toEqual([{ status: 'succeeded', attempt: 1, n: ORDER_COUNT * SCOPES.length }]);
    const [{ messages }] = (await sql.query<{ messages: number }>('SELECT count(*)::int AS messages FROM notifications.messages')).rows;
    expect(messages).toBe(ORDER_COUNT * SCOPES.length);

    const log = notifications.log();
    // Both runs of the process wrote to the same log file.
    expect(log.match(/notification-service listening on/g)?.length).toBe(2);
    expect(log).not.toMatch(/delivery attempt crashed/);
    console.log(`crash-recovery: ${inFlightAtKill} in flight at the kill, ${duplicated.length} redelivered, ${sink.requests.length} requests for ${expected.length} deliveries`);
  });
});
