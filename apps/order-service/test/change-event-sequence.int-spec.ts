import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import type { QueryRunner } from 'typeorm';
import { OutboxPayloadAsWritten1796600000000 } from '../src/migrations/1796600000000-outbox-payload-as-written';
import { ChangeEventSequence1796100100000 } from '../src/migrations/1796100100000-change-event-sequence';
import { ALPHA, createOrder, ORDERS, startSuite, Suite } from './order-service.fixture';

/** Every change event carries the order's version as `sequence`; rows written before that get theirs from the migration. */
describe('change event sequence (real PostgreSQL)', () => {
  let suite: Suite;
  beforeAll(async () => (suite = await startSuite()));
  afterAll(() => suite.close());

  const sequences = async (orderId: string) =>
    (await suite.sql.query<{ type: string; sequence: number }>(
      "SELECT payload->>'type' AS type, (payload->>'sequence')::int AS sequence FROM orders.outbox WHERE order_id = $1 ORDER BY seq", [orderId],
    )).rows.map((row) => [row.type, row.sequence]);

  it('numbers an order’s change events 1, 2, 3… across every kind of change', async () => {
    const order = await createOrder(suite.http);
    const url = `${ORDERS}/${order.id}`;
    await request(suite.http).put(`${url}/state`).set(ALPHA).send({ currentStatus: 'processing' }).expect(200);
    const payment = (await request(suite.http).post(`${url}/payments`).set(ALPHA).send({ adapterId: 'card', amount: 1, state: 'intent' }).expect(201)).body;
    await request(suite.http).post(`${url}/shippings`).set(ALPHA).send({ adapterId: 'postnord', state: 'intent' }).expect(201);
    await request(suite.http).post(`${url}/notifications`).set(ALPHA).send({ url: 'https://erp.example.com/hook', scope: { state: ['completed'] } }).expect(201);
    // A request that changes nothing publishes nothing and takes no number.
    await request(suite.http).patch(`${url}/payments/${payment.id}`).set(ALPHA).send({ state: 'intent' }).expect(200);
    await request(suite.http).patch(`${url}/payments/${payment.id}`).set(ALPHA).send({ state: 'authorized' }).expect(200);
    expect(await sequences(order.id)).toEqual([
      ['order.created', 1], ['order.state.changed', 2], ['order.payment.changed', 3], ['order.shipping.changed', 4],
      ['order.notifications.changed', 5], ['order.payment.changed', 6],
    ]);
  });

  it('gives unsent rows written before the field existed the version they left the order at, and leaves the rest alone', async () => {
    const order = await createOrder(suite.http);
    await request(suite.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }).expect(200);
    const sql = new Client({ connectionString: suite.db.url });
    await sql.connect();
    try {
      // In one transaction the relay cannot see: three older-format rows after the two real ones,
      // the order at the version they would have left it at (a sent one first, as the relay leaves them).
      await sql.query('BEGIN');
      const legacy = async (sent: boolean) => {
        const id = randomUUID();
        await sql.query(
          `INSERT INTO orders.outbox (id, order_id, topic, key, payload, sent_at) VALUES ($1, $2::uuid, 'checkout.order-events.v1', $2::text, $3, $4)`,
          [id, order.id, JSON.stringify({ id, type: 'order.payment.changed' }), sent ? new Date() : null],
        );
        return id;
      };
      const sent = await legacy(true);
      const waiting = [await legacy(false), await legacy(false)];
      await sql.query('UPDATE orders.orders SET version = 5 WHERE id = $1', [order.id]);
      // The migration as it ran: on the jsonb payloads of its day.
      const runner = { query: async (text: string) => (await sql.query(text)).rows } as unknown as QueryRunner;
      await new OutboxPayloadAsWritten1796600000000().down(runner);
      await new ChangeEventSequence1796100100000().up(runner);
      const { rows } = await sql.query<{ id: string; sequence: number | null }>(
        "SELECT id, (payload->'sequence')::int AS sequence FROM orders.outbox WHERE order_id = $1 ORDER BY seq", [order.id],
      );
      await new OutboxPayloadAsWritten1796600000000().up(runner);
      expect(rows.map((row) => row.sequence)).toEqual([1, 2, null, 4, 5]);
      expect(rows.slice(2).map((row) => row.id)).toEqual([sent, ...waiting]);
    } finally {
      await sql.query('ROLLBACK');
      await sql.end();
    }
  });
});
