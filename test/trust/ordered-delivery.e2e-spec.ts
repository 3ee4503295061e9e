import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { HTTP_INVOKER, HttpInvoker } from '../../apps/notification-service/src/delivery/http-invoker';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { Received, RecordingSink } from './support/recording-sink';
import { ensureBuilt, ServiceProcess } from './support/service-process';
import {
  connect, createOrder, eventually, groupStable, hook, inBatches, InProcessService, setState, sleep, startNotificationService, startOrderService, topicPrefix, TRUST_ENV,
} from './support/services';

jest.setTimeout(180_000);

const STATES = ['processing', 'accepted', 'completed'] as const;
const SCOPES = STATES.map((state) => `state.${state}`);

interface Body {
  id: string;
  orderId: string;
  scope: string;
  sequence: number;
  after?: string;
}

/** Creates orders with an ordered registration to `/ordered/{order.id}` and moves each through STATES, a few orders at a time. */
async function orderedBurst(orders: InProcessService, sink: RecordingSink, count: number): Promise<string[]> {
  const registration = hook(sink.url('/ordered/{order.id}'), { state: [...STATES] }, { ordered: true });
  return inBatches([...Array(count).keys()], 6, async () => {
    const order = await createOrder(orders.http, { notifications: [registration] });
    for (const state of STATES) await setState(orders.http, order.id, state);
    return order.id;
  });
}

/**
 * The ordering promise, checked on what the receiver saw: per order, no request of a message
 * arrives before a request of the message before it was answered with 2xx; the first arrivals
 * come in change order; and each message names the one before it in `after`.
 */
function orderViolations(sink: RecordingSink, orderIds: string[]): string[] {
  const violations: string[] = [];
  for (const orderId of orderIds) {
    const requests = sink.received(`/ordered/${orderId}`).sort((a, b) => a.receivedAt - b.receivedAt);
    const bodies = new Map(requests.map((r) => [r.webhookId, JSON.parse(r.body) as Body]));
    const messages = [...new Set(requests.map((r) => r.webhookId))];
    const scopes = messages.map((id) => bodies.get(id)?.scope);
    if (JSON.stringify(scopes) !== JSON.stringify(SCOPES)) violations.push(`${orderId}: messages in order ${scopes.join(', ')}`);
    for (let index = 1; index < messages.length; index += 1) {
      const previous = messages[index - 1];
      const firstArrival = Math.min(...requests.filter((r) => r.webhookId === messages[index]).map((r) => r.receivedAt));
      const succeeded = requests.filter((r: Received) => r.webhookId === previous && r.answeredAt !== null && r.answeredStatus === 200);
      if (!succeeded.some((r) => (r.answeredAt as number) <= firstArrival)) violations.push(`${orderId}: ${scopes[index]} sent before ${scopes[index - 1]} succeeded`);
      if (bodies.get(messages[index])?.after !== previous) violations.push(`${orderId}: ${scopes[index]} not after ${previous}`);
    }
  }
  return violations;
}

/**
 * `ordered: true` through both services and a real Kafka broker: one order's deliveries go one
 * at a time in change order even when the first one fails, with two notification-service
 * instances sharing the dispatch table, and across a SIGKILL of the service in the middle.
 */
describe('ordered delivery per order and target (real Kafka, real PostgreSQL)', () => {
  describe('two notification-service instances, first deliveries failing twice', () => {
    let db: TestDatabase;
    let sql: Client;
    let sink: RecordingSink;
    let orders: InProcessService;
    const instances: InProcessService[] = [];
    const calls = [0, 0];
    const prefix = topicPrefix('ordered-scale');

    beforeAll(async () => {
      db = await createTestDatabase();
      sql = await connect(db.url);
      const seen = new Map<string, number>();
      sink = await RecordingSink.start((r) => {
        const count = (seen.get(r.webhookId) ?? 0) + 1;
        seen.set(r.webhookId, count);
        const first = (JSON.parse(r.body) as Body).scope === SCOPES[0];
        return first && count <= 2 ? { status: 503, delayMs: 20 } : { status: 200, body: 'ok', delayMs: 30 };
      });
      const env = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: prefix, CIRCUIT_FAILURE_THRESHOLD: '10000' };
      orders = await startOrderService(env);
      for (const index of [0, 1]) {
        const instance = await startNotificationService({ ...env, DISPATCH_CONCURRENCY: '8', PER_TARGET_CONCURRENCY: '8', DISPATCH_BATCH: '4' });
        // A spy, not a stub: every call still goes to the sink; it only counts which instance made it.
        const invoker = instance.app.get<HttpInvoker>(HTTP_INVOKER);
        const invoke = invoker.invoke.bind(invoker);
        invoker.invoke = (request) => {
          calls[index] += 1;
          return invoke(request);
        };
        instances.push(instance);
      }
    });

    afterAll(async () => {
      for (const instance of instances) await instance.close();
      await orders?.close();
      await sink?.close();
      await sql?.end();
      await db?.drop();
    });

    it("keeps each order's deliveries in change order, the later ones waiting for the failing first one, with both instances working", async () => {
      await groupStable(kafkaBrokers(), `${prefix}notification-service`, 2);

      const orderIds = await orderedBurst(orders, sink, 30);
      const expected = orderIds.length * SCOPES.length;
      await eventually(async () => {
        const [{ n }] = (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications.events WHERE status = 'succeeded'`)).rows;
        return n === expected;
      }, 90_000, () => `${sink.received().length} requests so far`, 100);

      expect(orderViolations(sink, orderIds)).toEqual([]);
      // The first delivery of each order failed twice, and the others were not attempted meanwhile.
      expect(sink.received()).toHaveLength(expected + 2 * orderIds.length);
      // Some later messages were stored while the first one was failing, and waited for it.
      const { rows } = await sql.query<{ held: number }>(`SELECT count(*)::int AS held FROM notifications.events WHERE held_by IS NOT NULL`);
      expect(rows[0].held).toBeGreaterThan(0);
      expect(calls[0]).toBeGreaterThan(0);
      expect(calls[1]).toBeGreaterThan(0);
      console.log(`ordered scale-out: calls per instance ${calls.join(' / ')}`);
    });
  });

  describe('a SIGKILL of notification-service in the middle', () => {
    const LEASE_MS = 2000;
    let db: TestDatabase;
    let sql: Client;
    let sink: RecordingSink;
    let orders: InProcessService;
    let notifications: ServiceProcess;

    beforeAll(async () => {
      await ensureBuilt();
      db = await createTestDatabase();
      sql = await connect(db.url);
      sink = await RecordingSink.start(() => ({ status: 200, body: 'ok', delayMs: 150 }));
      const shared = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('ordered-crash') };
      orders = await startOrderService(shared);
      notifications = await ServiceProcess.start('notification-service', {
        ...TRUST_ENV,
        ...shared,
        LOG_LEVEL: 'log',
        LEASE_MS: String(LEASE_MS),
        DISPATCH_POLL_MS: '100',
        CIRCUIT_FAILURE_THRESHOLD: '10000',
        DELIVERY_TIMEOUT_MS: '10000',
      }, join(mkdtempSync(join(tmpdir(), 'ordercast-ordered-crash-')), 'notification-service.log'));
    });

    afterAll(async () => {
      await notifications?.stop();
      await orders?.close();
      await sink?.close();
      await sql?.end();
      await db?.drop();
    });

    it('keeps the order after a restart: what was in flight goes again before the next one', async () => {
      const burst = orderedBurst(orders, sink, 40);
      await sink.until(() => sink.requests.length >= 30, 60_000, () => `${sink.requests.length} requests before the kill`);
      notifications.signal('SIGKILL');
      expect(await notifications.exited()).toEqual({ code: null, signal: 'SIGKILL' });
      const orderIds = await burst;
      await notifications.restart();

      const expected = orderIds.length * SCOPES.length;
      await eventually(async () => {
        const [{ n }] = (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM notifications.events WHERE status = 'succeeded'`)).rows;
        return n === expected;
      }, 90_000, () => `${sink.received().length} requests so far`, 100);
      // Longer than a lease: a row wrongly released twice would be sent again by now.
      await sleep(LEASE_MS + 500);

      expect(orderViolations(sink, orderIds)).toEqual([]);
      expect(sink.overlaps).toEqual([]);
      const { rows } = await sql.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM notifications.events GROUP BY status`);
      expect(rows).toEqual([{ status: 'succeeded', n: expected }]);
    });
  });
});
