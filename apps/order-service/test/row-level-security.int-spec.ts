import { afterTenantCommit, preparedStatement, runInTenantScope, runPrepared } from '@ordercast/platform';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { PgCounter } from '../../../bench/pg-counter';
import { ChannelNotifications } from '../src/channels/channel-notifications.entity';
import { OrderEntity } from '../src/orders/order.entity';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { ALPHA, BETA, createOrder, ORDERS, orderRequest, registration, startOrderService, startSuite, Suite, WEB } from './order-service.fixture';

const MERCHANT_TABLES = ['orders.orders', 'orders.channel_notifications'];
const BETA_WEB = { ...BETA, 'x-channel': 'web' };

async function counts(run: (sql: string) => Promise<Array<{ count: string }>>): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of MERCHANT_TABLES) result[table] = Number((await run(`SELECT count(*) FROM ${table}`))[0].count);
  return result;
}

describe('row-level security on order-service tables', () => {
  let suite: Suite;
  let dataSource: DataSource;
  let betaOrderId: string;

  beforeAll(async () => {
    suite = await startSuite();
    dataSource = suite.service.app.get(DataSource);
    // Merchant beta has rows in every merchant table; alpha has none.
    await request(suite.http).put('/api/v0/checkout/channels/web/notifications').set(BETA).send([registration()]).expect(200);
    betaOrderId = (await createOrder(suite.http, {}, BETA_WEB)).id;
  });
  afterAll(() => suite.close());

  it('has beta rows in every merchant table, which the owning login role sees', async () => {
    expect(await counts(async (sql) => (await suite.sql.query(sql)).rows)).toEqual({ 'orders.orders': 1, 'orders.channel_notifications': 1 });
  });

  it('shows a tenant-role connection with no merchant set nothing, through raw SQL and through the repositories', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL ROLE ordercast_tenant');
      expect(await counts((sql) => runner.query(sql))).toEqual({ 'orders.orders': 0, 'orders.channel_notifications': 0 });
      expect(await runner.manager.find(OrderEntity)).toEqual([]);
      expect(await runner.manager.find(ChannelNotifications)).toEqual([]);
      expect(await runner.manager.findOneBy(OrderEntity, { id: betaOrderId })).toBeNull();
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('shows a request of a merchant without data none of another merchant’s rows, on every path', async () => {
    const READ_ORDER = preparedStatement('test.rls.read-order', 'SELECT id FROM orders.orders WHERE id = $1');
    const seen = await runInTenantScope('alpha', async () => ({
      counts: await counts((sql) => dataSource.query(sql)),
      orders: await dataSource.getRepository(OrderEntity).find(),
      channels: await dataSource.getRepository(ChannelNotifications).find(),
      byId: await dataSource.getRepository(OrderEntity).findOneBy({ id: betaOrderId }),
      prepared: await runPrepared(dataSource, READ_ORDER, [betaOrderId]),
      inTransaction: await dataSource.transaction((manager) => manager.find(OrderEntity)),
      role: (await dataSource.query<Array<{ role: string }>>('SELECT current_user AS role'))[0].role,
    }));
    expect(seen).toEqual({
      counts: { 'orders.orders': 0, 'orders.channel_notifications': 0 }, orders: [], channels: [], byId: null, prepared: [], inTransaction: [],
      role: 'ordercast_tenant',
    });
    // The same statements as beta find beta's rows: what hid them is the merchant, nothing else.
    const own = await runInTenantScope('beta', async () => ({
      counts: await counts((sql) => dataSource.query(sql)),
      prepared: await runPrepared(dataSource, READ_ORDER, [betaOrderId]),
    }));
    expect(own).toEqual({ counts: { 'orders.orders': 1, 'orders.channel_notifications': 1 }, prepared: [{ id: betaOrderId }] });
  });

  it('lets a request neither change, delete nor add another merchant’s rows', async () => {
    const alphaOrder = await createOrder(suite.http);
    const before = await suite.sql.query('SELECT * FROM orders.orders WHERE merchant = $1', ['beta']);
    const changed = await runInTenantScope('alpha', async () => ({
      updated: (await dataSource.query(`UPDATE orders.orders SET reference = 'stolen' WHERE merchant = 'beta'`))[1],
      deleted: (await dataSource.query(`DELETE FROM orders.orders WHERE id = $1`, [betaOrderId]))[1],
      channelsUpdated: (await dataSource.query(`UPDATE orders.channel_notifications SET registrations = '[]' WHERE merchant = 'beta'`))[1],
      channelsDeleted: (await dataSource.query(`DELETE FROM orders.channel_notifications`))[1],
    }));
    expect(changed).toEqual({ updated: 0, deleted: 0, channelsUpdated: 0, channelsDeleted: 0 });

    const refused = (statement: string, parameters: unknown[] = []) =>
      runInTenantScope('alpha', () => dataSource.query(statement, parameters)).then(() => 'accepted', (error: Error) => error.message);
    const violation = /row-level security policy/;
    expect(await refused(
      `INSERT INTO orders.orders (id, merchant, channel, state, document, version, created, last_modified)
       VALUES (gen_random_uuid(), 'beta', 'web', 'checkout', '{}', 1, now(), now())`,
    )).toMatch(violation);
    expect(await refused(`INSERT INTO orders.channel_notifications (merchant, channel, registrations, updated_at) VALUES ('beta', 'pos', '[]', now())`)).toMatch(violation);
    expect(await refused(`UPDATE orders.orders SET merchant = 'beta' WHERE id = $1`, [alphaOrder.id])).toMatch(violation);

    expect((await suite.sql.query('SELECT * FROM orders.orders WHERE merchant = $1', ['beta'])).rows).toEqual(before.rows);
    expect((await suite.sql.query(`SELECT merchant FROM orders.orders WHERE id = $1`, [alphaOrder.id])).rows).toEqual([{ merchant: 'alpha' }]);
    expect((await suite.sql.query(`SELECT count(*)::int AS count FROM orders.channel_notifications WHERE merchant = 'beta'`)).rows).toEqual([{ count: 1 }]);
  });

  it('lets a request add its change event to the outbox but never read the outbox', async () => {
    const read = await runInTenantScope('beta', () => dataSource.query('SELECT id FROM orders.outbox LIMIT 1')).then(() => 'read', (error: Error) => error.message);
    expect(read).toMatch(/permission denied/);
    const order = await createOrder(suite.http, {}, BETA_WEB);
    const { rows } = await suite.sql.query(`SELECT payload->>'type' AS type FROM orders.outbox WHERE order_id = $1`, [order.id]);
    expect(rows).toEqual([{ type: 'order.created' }]);
  });

  it('hands work over once the request committed, outside the request’s scope, and never after a rollback', async () => {
    const handedOver: string[] = [];
    const handOver = (label: string) => afterTenantCommit(() => {
      handedOver.push(label);
      void dataSource.query<Array<{ role: string }>>('SELECT current_user AS role').then(([row]) => handedOver.push(`${label} ran as ${row.role}`));
    });
    await runInTenantScope('alpha', async () => {
      await dataSource.query('SELECT 1');
      handOver('committed');
      expect(handedOver).toEqual([]);
    });
    await expect(runInTenantScope('alpha', async () => {
      await dataSource.query('SELECT 1');
      handOver('rolled back');
      throw new Error('handler failed');
    })).rejects.toThrow('handler failed');
    await waitFor(() => handedOver.length === 2);
    expect(handedOver).toEqual(['committed', 'committed ran as postgres']);
  });

  it('throws on undefined or null in a where instead of dropping the condition', async () => {
    const merchant: string | undefined = undefined;
    await expect(dataSource.getRepository(OrderEntity).find({ where: { merchant } })).rejects.toThrow(/undefined/i);
    await expect(dataSource.getRepository(OrderEntity).findOneBy({ id: betaOrderId, merchant })).rejects.toThrow(/undefined/i);
    await expect(dataSource.getRepository(OrderEntity).findOneBy({ id: betaOrderId, merchant: null as unknown as string })).rejects.toThrow(/null/i);
  });
});

describe('a request’s database work', () => {
  let db: TestDatabase;
  let counter: PgCounter;
  let service: Awaited<ReturnType<typeof startOrderService>>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    counter = await PgCounter.start(target.hostname, Number(target.port || 5432));
    const proxied = new URL(db.url);
    proxied.port = String(counter.port);
    // The relay polls once a minute here, so what the counter sees between snapshots is the request's and the relay's it wakes.
    service = await startOrderService(proxied.toString(), { OUTBOX_POLL_MS: '60000' });
  });
  afterAll(async () => {
    await service.close();
    await counter.stop();
    await db.drop();
  });

  /** How often each statement was sent while `send` ran (prepared statements only on their first use per connection). */
  const statementsDuring = async (send: () => Promise<unknown>): Promise<Map<string, number>> => {
    const before = counter.snapshot();
    await send();
    const after = counter.snapshot();
    return new Map([...after.bySql].map(([sql, count]): [string, number] => [sql, count - (before.bySql.get(sql) ?? 0)]).filter(([, count]) => count > 0));
  };

  it('opens nothing when the request does not reach the database', async () => {
    const sent = await statementsDuring(() => request(service.http).post(ORDERS).set(WEB).send(orderRequest({ currency: 'nope' })).expect(400));
    expect([...sent.keys()].filter((sql) => /ordercast_tenant|^COMMIT|^BEGIN/.test(sql))).toEqual([]);
  });

  it('is one transaction as the tenant role, opened with the merchant in one statement', async () => {
    const order = await createOrder(service.http);
    const sent = await statementsDuring(() => request(service.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }).expect(200));
    expect(sent.get(`BEGIN; SET LOCAL ROLE ordercast_tenant; SELECT set_config('ordercast.merchant', 'alpha', true)`)).toBe(1);
    expect(sent.get('COMMIT')).toBe(1);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200 && !condition(); tries += 1) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!condition()) throw new Error('condition not met');
}
