import { ORDER_EVENTS_TOPIC, OrderChangeEvent } from '@ordercast/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { createTopic, kafkaBrokers, readTopic } from '../../../test/support/kafka';
import { ALPHA, BETA, createOrder, ORDERS, OrderService, registration, startOrderService } from './order-service.fixture';

const OPERATOR = { authorization: 'Bearer operator-token-of-the-parking-suite' };
const PARKED = '/api/v0/checkout/operator/parked-changes';
/** The relay's advisory lock (outbox-relay.ts): holding it keeps the service's relay on standby. */
const RELAY_LOCK_KEY = '5715705997395579970';
/** The topic's own limit, far below the service's byte budget: a change can get past the budget and still be refused. */
const TOPIC_MAX_MESSAGE_BYTES = 20_000;

/** 16 KiB of headers (more, sealed): a change event with one such registration is past the topic's limit. */
const heavy = () => registration({ headers: Object.fromEntries(['X-A', 'X-B', 'X-C', 'X-D'].map((name) => [name, 'k'.repeat(4093)])) });

/** Messages the topic holds; read once everything is published, all a reader will get. */
async function topicSize(brokers: string[], topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'parking-test', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

jest.setTimeout(90_000);

/**
 * Issue 12: a change event the broker refuses for good (here: larger than the topic's
 * max.message.bytes) is parked, and the relay goes on publishing every other change, other
 * merchants' and the same order's later ones, on a real Kafka broker.
 */
describe('outbox relay parks what Kafka refuses for good', () => {
  const brokers = kafkaBrokers();
  const prefix = `parking-${randomBytes(4).toString('hex')}.`;
  let db: TestDatabase;
  let sql: Client;
  let service: OrderService;

  beforeAll(async () => {
    db = await createTestDatabase();
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    await createTopic(brokers, prefix + ORDER_EVENTS_TOPIC, 3, { 'max.message.bytes': String(TOPIC_MAX_MESSAGE_BYTES) });
    service = await startOrderService(db.url, {
      KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, OUTBOX_POLL_MS: '100', ADMIN_TOKENS: 'operator-token-of-the-parking-suite',
    });
  });

  afterAll(async () => {
    await service?.close();
    await sql?.end();
    await db?.drop();
  });

  it('parks the refused changes (rows marked, counted, listed for operators) and publishes everything else through the same relay', async () => {
    // The relay waits while the test holds its lock, so all the changes below reach it in one batch, mixed.
    await sql.query('SELECT pg_advisory_lock($1::bigint)', [RELAY_LOCK_KEY]);
    const betaFirst = await createOrder(service.http, {}, { ...BETA, 'x-channel': 'web' });
    const alpha = await createOrder(service.http, { notifications: [heavy(), heavy()] });
    const betaSecond = await createOrder(service.http, {}, { ...BETA, 'x-channel': 'web' });
    const [first, second] = alpha.notifications;
    await request(service.http).delete(`${ORDERS}/${alpha.id}/notifications/${first.id}`).set(ALPHA).expect(204);
    await request(service.http).delete(`${ORDERS}/${alpha.id}/notifications/${second.id}`).set(ALPHA).expect(204);
    await request(service.http).put(`${ORDERS}/${alpha.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }).expect(200);
    await request(service.http).put(`${ORDERS}/${betaFirst.id}/state`).set(BETA).send({ currentStatus: 'processing' }).expect(200);
    await sql.query('SELECT pg_advisory_unlock($1::bigint)', [RELAY_LOCK_KEY]);

    // Two of alpha's changes carry a heavy registration or two in their snapshot: too large for the topic.
    const outbox = async () =>
      (await sql.query<{ type: string; sent: boolean; parked: boolean; reason: string | null }>(
        `SELECT payload->>'type' AS type, sent_at IS NOT NULL AS sent, parked_at IS NOT NULL AS parked, park_reason AS reason
           FROM orders.outbox WHERE order_id = $1 ORDER BY seq`, [alpha.id])).rows;
    await eventually(async () => expect((await outbox()).every((row) => row.sent || row.parked)).toBe(true));
    expect(await outbox()).toEqual([
      { type: 'order.created', sent: false, parked: true, reason: 'MESSAGE_TOO_LARGE' },
      { type: 'order.notifications.changed', sent: false, parked: true, reason: 'MESSAGE_TOO_LARGE' },
      { type: 'order.notifications.changed', sent: true, parked: false, reason: null },
      { type: 'order.state.changed', sent: true, parked: false, reason: null },
    ]);
    const { rows: [{ unsent }] } = await sql.query<{ unsent: number }>('SELECT count(*)::int AS unsent FROM orders.outbox WHERE sent_at IS NULL AND parked_at IS NULL');
    expect(unsent).toBe(0);

    // Every other change is on the topic, in order per order; a change the relay re-sent one by one after the refused call may be there twice.
    const messages = await readTopic(brokers, prefix + ORDER_EVENTS_TOPIC, { expected: await topicSize(brokers, prefix + ORDER_EVENTS_TOPIC) });
    expect(messages.length).toBeGreaterThanOrEqual(5);
    const firstSeen = new Map<string, OrderChangeEvent>();
    for (const message of messages) {
      const event = message.value as OrderChangeEvent;
      if (!firstSeen.has(event.id)) firstSeen.set(event.id, event);
    }
    const events = [...firstSeen.values()];
    const typesOf = (orderId: string) => events.filter((event) => event.orderId === orderId).map((event) => event.type);
    expect(typesOf(betaFirst.id)).toEqual(['order.created', 'order.state.changed']);
    expect(typesOf(betaSecond.id)).toEqual(['order.created']);
    expect(typesOf(alpha.id)).toEqual(['order.notifications.changed', 'order.state.changed']);
    expect(events.filter((event) => event.orderId === alpha.id).map((event) => event.order.notifications.length)).toEqual([0, 0]);

    const metrics = (await request(service.http).get('/metrics').expect(200)).text;
    expect(metrics).toContain('ordercast_outbox_parked_total{reason="MESSAGE_TOO_LARGE"} 2');
    expect(metrics).toMatch(/^ordercast_outbox_parked 2$/m);
    expect(metrics).toMatch(/^ordercast_outbox_backlog 0$/m);

    const listed = await request(service.http).get(PARKED).set(OPERATOR).expect(200);
    expect(listed.body.pagination).toEqual({ offset: 0, limit: 50, size: 2, totalSize: 2 });
    expect(listed.body.data.map((change: { type: string }) => change.type).sort()).toEqual(['order.created', 'order.notifications.changed']);
    for (const change of listed.body.data) {
      expect(change).toEqual({
        id: expect.any(String), orderId: alpha.id, merchant: 'alpha', channel: 'web', type: change.type, occurredAt: expect.any(String),
        parkedAt: expect.any(String), reason: 'MESSAGE_TOO_LARGE', bytes: expect.any(Number),
      });
      expect(change.bytes).toBeGreaterThan(TOPIC_MAX_MESSAGE_BYTES);
    }
    // Every merchant's parked changes in one list: an operator's alone.
    await request(service.http).get(PARKED).set(ALPHA).expect(403);
    await request(service.http).get(PARKED).expect(401);
    await request(service.http).get(PARKED).query({ limit: '0' }).set(OPERATOR).expect(400);
  });

  it('keeps relaying new changes after parking', async () => {
    const later = await createOrder(service.http, {}, { ...BETA, 'x-channel': 'web' });
    await eventually(async () => {
      const { rows } = await sql.query<{ sent: boolean }>('SELECT sent_at IS NOT NULL AS sent FROM orders.outbox WHERE order_id = $1', [later.id]);
      expect(rows).toEqual([{ sent: true }]);
    });
  });
});
