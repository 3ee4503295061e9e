import { preparedStatement, runInTenantScope, runPrepared } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { DisabledRegistrationEntity } from '../src/delivery/disabled-registration.entity';
import { EventEntity } from '../src/events/event.entity';
import { MessageEntity } from '../src/events/message.entity';
import { OrderSnapshotEntity } from '../src/orders/order-snapshot.entity';
import { PollMessageEntity } from '../src/polling/poll-message.entity';
import { PollSignal } from '../src/polling/poll-signal';
import { SubscriptionEntity } from '../src/subscriptions/subscription.entity';
import { TEST_OPERATOR_TOKEN } from '../../../test/support/env';
import { ALPHA, EVENTS, NOTIFICATIONS, startSuite, Suite } from './notification-service.fixture';

const MERCHANT_TABLES = [
  'notifications.order_snapshots', 'notifications.subscriptions', 'notifications.disabled_registrations',
  'notifications.messages', 'notifications.events', 'notifications.poll_messages', 'notifications.alert_states',
];
const ENTITIES: Array<EntityTarget<ObjectLiteral>> = [
  OrderSnapshotEntity, SubscriptionEntity, DisabledRegistrationEntity, MessageEntity, EventEntity, PollMessageEntity,
];

function everyTable(count: number): Record<string, number> {
  return Object.fromEntries(MERCHANT_TABLES.map((table) => [table, count]));
}

async function counts(run: (sql: string) => Promise<Array<{ count: string }>>): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of MERCHANT_TABLES) result[table] = Number((await run(`SELECT count(*) FROM ${table}`))[0].count);
  return result;
}

describe('row-level security on notification-service tables', () => {
  let suite: Suite;
  let dataSource: DataSource;
  const messageId = randomUUID();
  const eventId = randomUUID();

  beforeAll(async () => {
    // Pool of 2: a long poll that kept its connection would leave the API one connection short.
    suite = await startSuite({ DATABASE_POOL_SIZE: '2' });
    dataSource = suite.app.get(DataSource);
    // Merchant beta has a row in every merchant table; alpha has none.
    await suite.sql.query(`
      INSERT INTO notifications.order_snapshots (merchant, order_id, channel, snapshot, occurred_at, last_modified, change_id, change_type)
      VALUES ('beta', 'o-beta', 'web', '{}', now(), now(), 'c-1', 'order.created');
      INSERT INTO notifications.subscriptions (merchant, name, scope, url) VALUES ('beta', 'erp', '[]', 'https://erp.example.com/hook');
      INSERT INTO notifications.disabled_registrations (merchant, notification_id, order_id, event_id, reason) VALUES ('beta', 'n-1', 'o-beta', gen_random_uuid(), 'gone');
      INSERT INTO notifications.messages (id, merchant, order_id, target_id, scope, delivery, url, method, body, created_at)
      VALUES ('${messageId}', 'beta', 'o-beta', 't-1', 'state.completed', 'webhook', 'https://erp.example.com/hook', 'POST', '{}', now());
      INSERT INTO notifications.events (id, message_id, merchant, order_id, channel, scope, type, delivery, attempt, trigger, status, created_at)
      VALUES ('${eventId}', '${messageId}', 'beta', 'o-beta', 'web', 'state.completed', 'order.state.changed', 'webhook', 1, 'automatic', 'failed', now());
      INSERT INTO notifications.poll_messages (id, merchant, order_id, body, expires_at) VALUES (gen_random_uuid(), 'beta', 'o-beta', '{}', now() + interval '1 day');
      INSERT INTO notifications.alert_states (merchant, endpoint, type, last_seen_at, last_sent_at) VALUES ('beta', 'https://erp.example.com', 'endpoint.failing', now(), now());
    `);
  });
  afterAll(() => suite.close());

  it('has beta rows in every merchant table, which the owning login role sees', async () => {
    expect(await counts(async (sql) => (await suite.sql.query(sql)).rows)).toEqual(everyTable(1));
  });

  it('runs every connection without JIT, the tenant pool’s as the service’s own (sessionOptions)', async () => {
    const jit = async (): Promise<string> => (await dataSource.query<Array<{ jit: string }>>(`SELECT current_setting('jit') AS jit`))[0].jit;
    expect({ own: await jit(), tenant: await runInTenantScope('alpha', jit) }).toEqual({ own: 'off', tenant: 'off' });
  });

  it('plans prepared statements once per connection in the background, and as PostgreSQL chooses for requests', async () => {
    const mode = async (): Promise<string> => (await dataSource.query<Array<{ mode: string }>>(`SELECT current_setting('plan_cache_mode') AS mode`))[0].mode;
    expect({ own: await mode(), tenant: await runInTenantScope('alpha', mode) }).toEqual({ own: 'force_generic_plan', tenant: 'auto' });
  });

  it('shows a tenant-role connection with no merchant set nothing, through raw SQL and through the repositories', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL ROLE ordercast_tenant');
      expect(await counts((sql) => runner.query(sql))).toEqual(everyTable(0));
      for (const entity of ENTITIES) expect(await runner.manager.find(entity)).toEqual([]);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('shows a request of a merchant without data none of another merchant’s rows, on every path', async () => {
    const READ_EVENT = preparedStatement('test.rls.read-event', 'SELECT id FROM notifications.events WHERE id = $1');
    const seen = await runInTenantScope('alpha', async () => ({
      counts: await counts((sql) => dataSource.query(sql)),
      entities: await findEach(dataSource),
      prepared: await runPrepared(dataSource, READ_EVENT, [eventId]),
      inTransaction: await dataSource.transaction((manager) => manager.findOneBy(EventEntity, { id: eventId })),
    }));
    expect(seen).toEqual({ counts: everyTable(0), entities: ENTITIES.map(() => []), prepared: [], inTransaction: null });
    const own = await runInTenantScope('beta', async () => ({
      counts: await counts((sql) => dataSource.query(sql)),
      prepared: await runPrepared(dataSource, READ_EVENT, [eventId]),
    }));
    expect(own).toEqual({ counts: everyTable(1), prepared: [{ id: eventId }] });
  });

  it('nests a transaction that is the request’s first database use in the request’s transaction', async () => {
    const seen = await runInTenantScope('alpha', () => dataSource.transaction(async (manager) => ({
      events: await manager.find(EventEntity),
      role: (await manager.query('SELECT current_user AS role'))[0].role as string,
    })));
    expect(seen).toEqual({ events: [], role: 'ordercast_tenant' });
    const { id } = await runInTenantScope('alpha', () => dataSource.transaction((manager) => manager.save(manager.create(SubscriptionEntity, {
      merchant: 'alpha', name: 'first', channels: [], scope: [], payload: 'full', enabled: false, disabledReason: null, delivery: 'poll',
    }))));
    expect((await suite.sql.query('SELECT merchant FROM notifications.subscriptions WHERE id = $1', [id])).rows).toEqual([{ merchant: 'alpha' }]);
    await suite.sql.query('DELETE FROM notifications.subscriptions WHERE id = $1', [id]);
  });

  it('lets a request neither change, delete nor add another merchant’s rows', async () => {
    const betaRows = () => counts(async (sql) => (await suite.sql.query(`${sql} WHERE merchant = 'beta'`)).rows);
    const before = await betaRows();
    const affected = await runInTenantScope('alpha', async () => {
      const result: Record<string, [number, number]> = {};
      for (const table of MERCHANT_TABLES) {
        const updated = (await dataSource.query(`UPDATE ${table} SET merchant = 'alpha'`))[1] as number;
        const deleted = (await dataSource.query(`DELETE FROM ${table}`))[1] as number;
        result[table] = [updated, deleted];
      }
      return result;
    });
    expect(affected).toEqual(Object.fromEntries(MERCHANT_TABLES.map((table) => [table, [0, 0]])));

    const refused = (statement: string) => runInTenantScope('alpha', () => dataSource.query(statement)).then(() => 'accepted', (error: Error) => error.message);
    const violation = /row-level security policy/;
    expect(await refused(`INSERT INTO notifications.subscriptions (merchant, name, scope, url) VALUES ('beta', 'planted', '[]', 'https://evil.example.com')`)).toMatch(violation);
    expect(await refused(`INSERT INTO notifications.poll_messages (id, merchant, order_id, body, expires_at) VALUES (gen_random_uuid(), 'beta', 'o-beta', '{}', now())`)).toMatch(violation);
    expect(await refused(`INSERT INTO notifications.disabled_registrations (merchant, notification_id, order_id, event_id, reason) VALUES ('beta', 'n-2', 'o-beta', gen_random_uuid(), 'x')`)).toMatch(violation);
    expect(await refused(`INSERT INTO notifications.order_snapshots (merchant, order_id, channel, snapshot, occurred_at, last_modified, change_id, change_type)
      VALUES ('beta', 'o-planted', 'web', '{}', now(), now(), 'c-2', 'order.created')`)).toMatch(violation);
    expect(await refused(`INSERT INTO notifications.messages (id, merchant, order_id, target_id, scope, delivery, method, body, created_at)
      VALUES (gen_random_uuid(), 'beta', 'o-beta', 't-2', 'manual', 'webhook', 'POST', '{}', now())`)).toMatch(violation);
    expect(await refused(`INSERT INTO notifications.events (id, message_id, merchant, order_id, channel, scope, type, delivery, attempt, trigger, status, created_at)
      VALUES (gen_random_uuid(), '${messageId}', 'beta', 'o-beta', 'web', 'manual', 'manual', 'webhook', 9, 'manual', 'pending', now())`)).toMatch(violation);
    expect(await refused(`INSERT INTO notifications.alert_states (merchant, endpoint, type, last_seen_at) VALUES ('beta', 'https://evil.example.com', 'endpoint.failing', now())`)).toMatch(violation);

    expect(await betaRows()).toEqual(before);
    expect(before).toEqual(everyTable(1));
  });

  it('gives a request nothing of the service-wide signing keys, while an operator rotation still works', async () => {
    const read = await runInTenantScope('alpha', () => dataSource.query('SELECT kid FROM notifications.signing_keys')).then(() => 'read', (error: Error) => error.message);
    expect(read).toMatch(/permission denied/);
    const operator = { Authorization: `Bearer ${TEST_OPERATOR_TOKEN}` };
    const rotation = await request(suite.http).post(`${NOTIFICATIONS}/signing-keys/rotate`).set(operator).expect(201);
    expect(rotation.body).toMatchObject({ kid: expect.any(String), activatesAt: expect.any(String) });
  });

  it('holds no connection while a long poll waits', async () => {
    const signal = suite.app.get(PollSignal);
    let waiting = 0;
    const subscribe = signal.subscribe.bind(signal);
    jest.spyOn(signal, 'subscribe').mockImplementation((merchant) => {
      const wakeup = subscribe(merchant);
      return { ...wakeup, wait: (timeoutMs, abort) => ((waiting += 1), wakeup.wait(timeoutMs, abort)) };
    });
    // Two long polls, as many as the pool has connections; both look at the queue and wait.
    const polls = [0, 1].map(() => request(suite.http).get(`${NOTIFICATIONS}/receive?timeoutMs=20000`).set(ALPHA));
    let answered = false;
    for (const poll of polls) poll.then(() => (answered = true), () => undefined);
    await waitFor(async () => waiting >= 2);
    const events = await request(suite.http).get(EVENTS).set(ALPHA);
    expect(events.status).toBe(200);
    expect(events.body.data).toEqual([]);
    expect(answered).toBe(false);
    expect((await suite.sql.query(`SELECT count(*)::int AS count FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`)).rows)
      .toEqual([{ count: 0 }]);
    for (const poll of polls) poll.abort();
  });
});

async function findEach(dataSource: DataSource): Promise<ObjectLiteral[][]> {
  const found: ObjectLiteral[][] = [];
  for (const entity of ENTITIES) found.push(await dataSource.getRepository(entity).find());
  return found;
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; tries < 200; tries += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met');
}
