import { ORDER_EVENTS_TOPIC } from '@ordercast/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { untilQuiet } from '../support/quiet';
import { RecordingSink } from './support/recording-sink';
import { ensureBuilt, ServiceProcess } from './support/service-process';
import { connect, createOrder, eventually, hook, inBatches, setState, topicPrefix, TRUST_ENV } from './support/services';

jest.setTimeout(120_000);

const DELIVERIES = 40;
const SINK_DELAY_MS = 2000;
const PER_TARGET = 4;
/** Far longer than the test: a row left leased by the stopped process would visibly stay stuck. */
const LEASE_MS = 600_000;

/**
 * SIGTERM to both services, run as real processes: notification-service stops claiming, lets the
 * calls in flight finish, gives back the rows it had claimed but not started, commits its Kafka
 * offsets and leaves the consumer group; order-service publishes what it holds; both exit 0.
 */
describe('graceful shutdown on SIGTERM (real processes, real Kafka, real PostgreSQL)', () => {
  let db: TestDatabase;
  let sql: Client;
  let sink: RecordingSink;
  let orders: ServiceProcess;
  let notifications: ServiceProcess;
  const prefix = topicPrefix('shutdown');
  const admin = new Kafka({ clientId: 'graceful-shutdown-test', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();

  beforeAll(async () => {
    await ensureBuilt();
    await admin.connect();
    db = await createTestDatabase();
    sql = await connect(db.url);
    sink = await RecordingSink.start(() => ({ status: 200, body: 'ok', delayMs: SINK_DELAY_MS }));
    const dir = mkdtempSync(join(tmpdir(), 'ordercast-shutdown-'));
    const env = { ...TRUST_ENV, DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'log' };
    orders = await ServiceProcess.start('order-service', env, join(dir, 'order-service.log'));
    notifications = await ServiceProcess.start('notification-service', {
      ...env,
      LEASE_MS: String(LEASE_MS),
      DISPATCH_CONCURRENCY: '32',
      PER_TARGET_CONCURRENCY: String(PER_TARGET),
      DELIVERY_TIMEOUT_MS: '10000',
    }, join(dir, 'notification-service.log'));
  });

  afterAll(async () => {
    await notifications?.stop();
    await orders?.stop();
    await admin.disconnect();
    await sink?.close();
    await sql?.end();
    await db?.drop();
  });

  async function committedLag(): Promise<number> {
    const topic = prefix + ORDER_EVENTS_TOPIC;
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: `${prefix}notification-service`, topics: [topic] })]);
    return ends.reduce((lag, end) => {
      const offset = committed.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      return lag + Number(end.high) - Math.max(Number(offset), 0);
    }, 0);
  }

  it('finishes the calls in flight, releases the rest, commits offsets, leaves the group and exits 0; nothing is lost or sent twice', async () => {
    const orderIds = await inBatches([...Array(DELIVERIES).keys()], 8, async () => {
      const order = await createOrder(orders.url, { notifications: [hook(sink.url('/shutdown'), { state: ['processing'] })] });
      await setState(orders.url, order.id, 'processing');
      return order.id;
    });
    await sink.until(() => sink.pending().length === PER_TARGET, 30_000, () => `${sink.pending().length} calls in flight`);
    // Everything is ingested: the claimed rows are the ones the dispatcher holds in memory.
    await eventually(async () => (await sql.query('SELECT 1 FROM notifications.events')).rowCount === DELIVERIES, 30_000, () => 'ingest');
    const inFlight = sink.pending().map((r) => r.webhookId);

    const stoppedAt = Date.now();
    notifications.signal('SIGTERM');
    const exit = await notifications.exited();
    const stoppedInMs = Date.now() - stoppedAt;
    expect(exit).toEqual({ code: 0, signal: null });
    // Well below what attempting every claimed row would take (32 rows, 4 at a time, 2 s each).
    expect(stoppedInMs).toBeLessThan(3 * SINK_DELAY_MS);

    // The calls in flight were finished and recorded, not cut off.
    expect(sink.received().filter((r) => r.abandoned)).toEqual([]);
    const { rows: attempted } = await sql.query<{ message_id: string; status: string }>(
      `SELECT message_id, status FROM notifications.events WHERE status <> 'pending'`);
    expect(attempted.map((row) => row.status)).toEqual(attempted.map(() => 'succeeded'));
    expect(new Set(attempted.map((row) => row.message_id))).toEqual(new Set(sink.received().map((r) => r.webhookId)));
    for (const id of inFlight) expect(attempted.map((row) => row.message_id)).toContain(id);
    // Claimed but not started: given back, not left leased by a process that is gone.
    const [{ leased }] = (await sql.query<{ leased: number }>(`SELECT count(*)::int AS leased FROM notifications.events WHERE lease_until IS NOT NULL`)).rows;
    expect(leased).toBe(0);
    // Offsets committed, and the member left the group instead of waiting for a session timeout.
    expect(await committedLag()).toBe(0);
    const { groups: [group] } = await admin.describeGroups([`${prefix}notification-service`]);
    expect(group.members).toEqual([]);
    expect(notifications.log()).toMatch(/"SIGTERM received: stopping"[\s\S]*"stopped"/);

    // A new instance picks up only the released rows; ingest creates nothing again.
    sink.answer = () => ({ status: 200, body: 'ok' });
    await notifications.restart();
    await sink.until(() => new Set(sink.received().map((r) => r.webhookId)).size === DELIVERIES, 30_000, () => `${sink.received().length} of ${DELIVERIES}`);
    await untilQuiet(sql);
    expect(sink.received()).toHaveLength(DELIVERIES);
    const bodies = sink.received().map((r) => JSON.parse(r.body) as { orderId: string });
    expect(bodies.map((b) => b.orderId).sort()).toEqual([...orderIds].sort());
    const [{ events, messages }] = (await sql.query<{ events: number; messages: number }>(
      `SELECT (SELECT count(*)::int FROM notifications.events) AS events, (SELECT count(*)::int FROM notifications.messages) AS messages`)).rows;
    expect({ events, messages }).toEqual({ events: DELIVERIES, messages: DELIVERIES });

    // order-service: the relay's batch in hand is published and marked, then it exits 0.
    expect(await orders.stop()).toEqual({ code: 0, signal: null });
    const [{ unsent }] = (await sql.query<{ unsent: number }>('SELECT count(*)::int AS unsent FROM orders.outbox WHERE sent_at IS NULL')).rows;
    expect(unsent).toBe(0);
    expect(orders.log()).toMatch(/"stopped"/);
    console.log(`graceful-shutdown: stopped in ${stoppedInMs} ms with ${inFlight.length} calls in flight and ${DELIVERIES - attempted.length} rows released`);
  });
});
