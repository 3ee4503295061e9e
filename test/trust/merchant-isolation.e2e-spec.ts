import type { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../support/database';
import { kafkaBrokers } from '../support/kafka';
import { RecordingSink } from './support/recording-sink';
import {
  ALPHA, BETA, connect, createOrder, eventually, hook, inBatches, InProcessService, setState, startNotificationService, startOrderService, topicPrefix,
} from './support/services';

jest.setTimeout(180_000);

const NOISY_ORDERS = 60;
const QUIET_ORDERS = 10;
/** Far longer than the quiet merchant's deliveries can take when nothing holds them back. */
const SLOW_MS = 20_000;
const PER_TARGET = 4;

interface Row {
  merchant: string;
  path: string;
  status: string;
  attempt: number;
}

/**
 * The noisy neighbour: merchant alpha has a failing endpoint (500) and a slow one (answers after
 * 20 s) on one host, with a backlog of deliveries to both; merchant beta's healthy endpoint is on the
 * same host, and on the very origin of alpha's slow one. Breakers, concurrency limits and dispatch
 * are per merchant endpoint, so beta's deliveries all complete before alpha's slow endpoint has
 * answered once: an ordering of events, not a timing. (Were alpha's waiting rows holding dispatch
 * slots, beta's would wait for the slow calls to end.)
 */
describe("one merchant's failing and slow endpoints do not hold back another merchant's (real PostgreSQL, real Kafka)", () => {
  let db: TestDatabase;
  let sql: Client;
  let failing: RecordingSink;
  let shared: RecordingSink;
  let orders: InProcessService;
  let notifications: InProcessService;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = await connect(db.url);
    failing = await RecordingSink.start(() => ({ status: 500, body: 'down' }));
    shared = await RecordingSink.start((r) => (r.path.startsWith('/alpha') ? { status: 200, body: 'ok', delayMs: SLOW_MS } : { status: 200, body: 'ok' }));
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: kafkaBrokers().join(','), KAFKA_TOPIC_PREFIX: topicPrefix('neighbours') };
    orders = await startOrderService(env);
    notifications = await startNotificationService({
      ...env,
      DELIVERY_TIMEOUT_MS: String(2 * SLOW_MS),
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_COOLDOWN_MS: '2000',
      DISPATCH_CONCURRENCY: '16',
      DISPATCH_BATCH: '16',
      PER_TARGET_CONCURRENCY: String(PER_TARGET),
      PER_HOST_CONCURRENCY: '12',
      RETRY_SCHEDULE: '200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms',
    });
  });

  afterAll(async () => {
    // The sinks first: their hanging calls fail at once, so shutdown need not wait for them.
    await failing?.close();
    await shared?.close();
    await notifications?.close();
    await orders?.close();
    await sql?.end();
    await db?.drop();
  });

  const rows = async () =>
    (await sql.query<Row>(`SELECT e.merchant, split_part(m.url, '/', 4) AS path, e.status, e.attempt
                           FROM notifications.events e JOIN notifications.messages m ON m.id = e.message_id`)).rows;

  it("delivers everything of the quiet merchant while the noisy one's backlog is still pending", async () => {
    const noisy = [
      hook(failing.url('/alpha-failing/{order.id}'), { state: ['processing'] }),
      hook(shared.url('/alpha-slow/{order.id}'), { state: ['processing'] }),
    ];
    await inBatches([...Array(NOISY_ORDERS).keys()], 6, async () => {
      const order = await createOrder(orders.http, { notifications: noisy }, ALPHA);
      await setState(orders.http, order.id, 'processing', ALPHA);
    });
    // The noisy merchant's backlog is there and being worked through: its slow endpoint is busy and its failing one has failed.
    await eventually(async () => {
      const now = await rows();
      return shared.pending().length === PER_TARGET && now.filter((r) => r.path === 'alpha-slow' && r.status === 'pending').length > NOISY_ORDERS / 2
        && now.some((r) => r.path === 'alpha-failing' && r.status === 'failed');
    }, 60_000, () => `${shared.pending().length} slow calls in flight, ${failing.received().length} failing calls`);

    const quiet = [hook(shared.url('/beta/{order.id}'), { state: ['processing'] })];
    await inBatches([...Array(QUIET_ORDERS).keys()], 5, async () => {
      const order = await createOrder(orders.http, { notifications: quiet }, BETA);
      await setState(orders.http, order.id, 'processing', BETA);
    });

    let atThatMoment: Row[] = [];
    await eventually(async () => {
      atThatMoment = await rows();
      return atThatMoment.filter((r) => r.merchant === 'beta' && r.status === 'succeeded').length === QUIET_ORDERS;
    }, 60_000, () => `${shared.received('/beta').length} of ${QUIET_ORDERS} quiet deliveries`);

    // Every quiet delivery went through at its first attempt...
    expect(atThatMoment.filter((r) => r.merchant === 'beta')).toEqual(Array(QUIET_ORDERS).fill({ merchant: 'beta', path: 'beta', status: 'succeeded', attempt: 1 }));
    // ...before the noisy merchant's slow endpoint answered once: it had its share of calls in flight and no more,
    const slowCalls = shared.received().filter((r) => r.path.startsWith('/alpha-slow'));
    expect(slowCalls.filter((r) => r.answeredAt !== null)).toEqual([]);
    expect(slowCalls).toHaveLength(PER_TARGET);
    // and its backlog was still pending, none of its failing deliveries through.
    const slowPending = atThatMoment.filter((r) => r.path === 'alpha-slow' && r.status === 'pending').length;
    expect(slowPending).toBe(NOISY_ORDERS);
    expect(atThatMoment.filter((r) => r.path === 'alpha-failing' && r.status === 'succeeded')).toEqual([]);
    console.log(`merchant-isolation: ${QUIET_ORDERS} quiet deliveries done with ${slowPending} slow and ${atThatMoment.filter((r) => r.path === 'alpha-failing' && r.status === 'pending').length} failing noisy deliveries pending`);
  });
});
