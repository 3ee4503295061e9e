import { afterTenantCommit, preparedStatement, runInTenantScope, runPrepared } from '@ordercast/platform';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { PgCounter } from '../../../bench/pg-counter';
import { ChannelNotifications } from '../src/channels/channel-notifications.entity';
import { OrderEntity } from '../src/orders/order.entity';
import { createTestDatabase, TestDatabase, withClient } from '../../../test/support/database';
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

  it('runs every connection without JIT, the tenant pool’s as the service’s own (sessionOptions)', async () => {
    const jit = async (): Promise<string> => (await dataSource.query<Array<{ jit: string }>>(`SELECT current_setting('jit') AS jit`))[0].jit;
    expect({ own: await jit(), tenant: await runInTenantScope('alpha', jit) }).toEqual({ own: 'off', tenant: 'off' });
  });

  it('plans prepared statements once per connection in the background and for requests', async () => {
    const mode = async (): Promise<string> => (await dataSource.query<Array<{ mode: string }>>(`SELECT current_setting('plan_cache_mode') AS mode`))[0].mode;
    expect({ own: await mode(), tenant: await runInTenantScope('alpha', mode) }).toEqual({ own: 'force_generic_plan', tenant: 'force_generic_plan' });
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

  it('runs autocommit work as the tenant role with one merchant at a time, also when one connection serves both in turn', async () => {
    const look = (merchant: string) => runInTenantScope(merchant, async () => ({
      merchants: (await dataSource.query<Array<{ merchant: string }>>('SELECT DISTINCT merchant FROM orders.orders')).map((row) => row.merchant),
      channels: (await dataSource.getRepository(ChannelNotifications).find()).map((row) => row.merchant),
      role: (await dataSource.query<Array<{ role: string }>>('SELECT current_user AS role'))[0].role,
      pid: (await dataSource.query<Array<{ pid: number }>>('SELECT pg_backend_pid() AS pid'))[0].pid,
    }), 'autocommit');
    const ownerSees = async (merchant: string) => ({
      merchants: (await suite.sql.query<{ merchant: string }>('SELECT DISTINCT merchant FROM orders.orders WHERE merchant = $1', [merchant])).rows.map((row) => row.merchant),
      channels: (await suite.sql.query<{ merchant: string }>('SELECT merchant FROM orders.channel_notifications WHERE merchant = $1', [merchant])).rows.map((row) => row.merchant),
    });
    const expected = { alpha: await ownerSees('alpha'), beta: await ownerSees('beta') };
    expect(expected.beta).toEqual({ merchants: ['beta'], channels: ['beta'] });
    const pidsOf: Record<string, Set<number>> = { alpha: new Set(), beta: new Set() };
    for (let round = 0; round < 4; round += 1) {
      for (const merchant of ['beta', 'alpha'] as const) {
        const seen = await look(merchant);
        expect(seen.role).toBe('ordercast_tenant');
        expect({ merchants: seen.merchants, channels: seen.channels }).toEqual(expected[merchant]);
        pidsOf[merchant].add(seen.pid);
      }
    }
    // One connection went from beta to alpha and back (the pool hands out the connection released last).
    expect([...pidsOf.alpha].some((pid) => pidsOf.beta.has(pid))).toBe(true);
    const refused = await runInTenantScope('alpha', () => dataSource.query(
      `INSERT INTO orders.orders (id, merchant, channel, state, document, version, created, last_modified)
       VALUES (gen_random_uuid(), 'beta', 'web', 'checkout', '{}', 1, now(), now())`,
    ), 'autocommit').then(() => 'accepted', (error: Error) => error.message);
    expect(refused).toMatch(/row-level security policy/);
    expect((await suite.sql.query(`SELECT count(*)::int AS count FROM orders.orders WHERE merchant = 'beta'`)).rows).toEqual([{ count: 1 }]);
  });

  it('commits each autocommit statement on its own: a failed one leaves the ones before it and lets the next run', async () => {
    const reference = `autocommit-${Date.now()}`;
    const outcome = await runInTenantScope('beta', async () => {
      await dataSource.query('UPDATE orders.orders SET reference = $1 WHERE id = $2', [reference, betaOrderId]);
      const failed = await dataSource.query('SELECT 1 / 0').then(() => 'ran', (error: Error) => error.message);
      const next = (await dataSource.query<Array<{ ok: number }>>('SELECT 1 AS ok'))[0].ok;
      return { failed, next };
    }, 'autocommit').catch((error: Error) => ({ failed: error.message, next: 0 }));
    expect(outcome).toEqual({ failed: expect.stringMatching(/division by zero/), next: 1 });
    expect((await suite.sql.query('SELECT reference FROM orders.orders WHERE id = $1', [betaOrderId])).rows).toEqual([{ reference }]);
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

  /** Round trips and statements sent while `send` ran. */
  const trafficDuring = async (send: () => Promise<unknown>): Promise<{ roundTrips: number; statements: Map<string, number> }> => {
    const before = counter.snapshot().roundTrips;
    const statements = await statementsDuring(send);
    return { roundTrips: counter.snapshot().roundTrips - before, statements };
  };
  const OPEN_ALPHA = `BEGIN; SET LOCAL ROLE ordercast_tenant; SELECT set_config('ordercast.merchant', 'alpha', true)`;

  it('is one transaction as the tenant role, opened with the merchant in one statement, on a route that is not autocommit', async () => {
    const sent = await statementsDuring(() => request(service.http).put('/api/v0/checkout/channels/web/notifications').set(ALPHA).send([registration()]).expect(200));
    expect(sent.get(OPEN_ALPHA)).toBe(1);
    expect(sent.get('COMMIT')).toBe(1);
  });

  it('is one transaction on an autocommit route when the request has an Idempotency-Key: the key commits with the change', async () => {
    const order = await createOrder(service.http);
    const sent = await statementsDuring(() =>
      request(service.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).set('Idempotency-Key', `rls-${order.id}`).send({ currentStatus: 'processing' }).expect(200));
    expect(sent.get(OPEN_ALPHA)).toBe(1);
    expect(sent.get('COMMIT')).toBe(1);
  });

  it('reads an order in one round trip and changes it in two on the autocommit routes, with no BEGIN or COMMIT', async () => {
    const order = await createOrder(service.http);
    // Warm: the connection's session gets the merchant and the statements get prepared.
    await request(service.http).get(`${ORDERS}/${order.id}`).set(ALPHA).expect(200);
    await request(service.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'processing' }).expect(200);
    // The relay the change woke must be done, or its round trips would count as the read's.
    const unsent = async () => (await withClient(db.url, (sql) => sql.query('SELECT 1 FROM orders.outbox WHERE sent_at IS NULL'))).rowCount;
    for (let tries = 0; tries < 200 && (await unsent()) !== 0; tries += 1) await new Promise((resolve) => setTimeout(resolve, 25));

    const read = await trafficDuring(() => request(service.http).get(`${ORDERS}/${order.id}`).set(ALPHA).expect(200));
    expect(read.roundTrips).toBe(1);
    const changed = await trafficDuring(() => request(service.http).put(`${ORDERS}/${order.id}/state`).set(ALPHA).send({ currentStatus: 'checkout' }).expect(200));
    // The relay, woken by the change, may add its own round trips on its own connection.
    const own = [...changed.statements.keys()].filter((sql) => /ordercast_tenant|ordercast\.merchant|^COMMIT|^BEGIN/.test(sql));
    expect(own).toEqual([]);
    expect((await withClient(db.url, (sql) => sql.query('SELECT version FROM orders.orders WHERE id = $1', [order.id]))).rows).toEqual([{ version: 3 }]);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200 && !condition(); tries += 1) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!condition()) throw new Error('condition not met');
}
