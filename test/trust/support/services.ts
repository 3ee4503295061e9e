import type { INestApplication } from '@nestjs/common';
import type { Order } from '@ordercast/contracts';
import { EVENT_BUS, EventBus } from '@ordercast/messaging';
import { loadConfig } from '@ordercast/platform';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Client } from 'pg';
import request from 'supertest';
import { NotificationServiceConfig } from '../../../apps/notification-service/src/config/notification-service.config';
import { createNotificationServiceApp } from '../../../apps/notification-service/src/create-notification-service-app';
import type { EventRecord } from '../../../apps/notification-service/src/events/event-record';
import { OrderServiceConfig } from '../../../apps/order-service/src/config/order-service.config';
import { createOrderServiceApp } from '../../../apps/order-service/src/create-order-service-app';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { TEST_ENCRYPTION_KEY } from '../../support/env';

export const ORDERS = '/api/v0/checkout/orders';
export const CHANNELS = '/api/v0/checkout/channels';
export const NOTIFICATIONS = '/api/v0/checkout/notifications';
export const EVENTS = `${NOTIFICATIONS}/events`;
export const SUBSCRIPTIONS = `${NOTIFICATIONS}/subscriptions`;
export const ALPHA = { 'x-merchant': 'alpha', authorization: 'Bearer alpha-token-1' };
export const BETA = { 'x-merchant': 'beta', authorization: 'Bearer beta-token-1' };
export const OPERATOR_TOKEN = 'operator-token-of-the-trust-suites';
/** Service-wide actions (signing-key rotation) take the operator token, not a merchant's. */
export const OPERATOR = { authorization: `Bearer ${OPERATOR_TOKEN}` };

/** What both services share in the trust suites: fast retries and polling, two merchants, an operator, one encryption key. */
export const TRUST_ENV: Record<string, string> = {
  PORT: '0',
  API_TOKENS: 'alpha:alpha-token-1,beta:beta-token-1',
  ADMIN_TOKENS: OPERATOR_TOKEN,
  ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  ALLOW_PRIVATE_TARGETS: 'true',
  LOG_LEVEL: 'error',
  RETRY_SCHEDULE: '100ms,200ms,400ms,800ms,1s,1s,1s,1s',
  DISPATCH_POLL_MS: '50',
  RESULT_FLUSH_MS: '5',
  DELIVERY_TIMEOUT_MS: '2000',
  OUTBOX_POLL_MS: '50',
};

/**
 * A small dispatcher whose calls hang for `hangMs` before timing out, with breakers that never open
 * and fast retries: for suites where one merchant's calls hang and another's must go on.
 */
export function smallDispatcherEnv(concurrency: number, perTarget: number, hangMs: number): Record<string, string> {
  return {
    DISPATCH_CONCURRENCY: String(concurrency),
    PER_TARGET_CONCURRENCY: String(perTarget),
    DELIVERY_TIMEOUT_MS: String(hangMs),
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    RETRY_SCHEDULE: '100ms,100ms,100ms',
  };
}

/** A Kafka topic prefix of the suite's own, so suites sharing the broker never read each other's events. */
export function topicPrefix(suite: string): string {
  return `trust-${suite}-${randomUUID().slice(0, 8)}.`;
}

export interface InProcessService {
  app: INestApplication;
  http: Server;
  close(): Promise<void>;
}

async function wrap(app: INestApplication): Promise<InProcessService> {
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const bus = app.get<EventBus>(EVENT_BUS);
  return {
    app,
    http: app.getHttpServer() as Server,
    close: async () => {
      await app.close();
      await bus.close().catch(() => undefined);
    },
  };
}

export async function startOrderService(env: Record<string, string>): Promise<InProcessService> {
  return wrap(await createOrderServiceApp(loadConfig(OrderServiceConfig, { ...TRUST_ENV, ...env })));
}

export async function startNotificationService(env: Record<string, string>): Promise<InProcessService> {
  return wrap(await createNotificationServiceApp(loadConfig(NotificationServiceConfig, { ...TRUST_ENV, ...env })));
}

/** Both services in-process on a database of the suite's own, with a direct connection to it. */
export interface TrustStack {
  db: TestDatabase;
  sql: Client;
  orders: InProcessService;
  notifications: InProcessService;
  close(): Promise<void>;
}

export async function startTrustStack(env: Record<string, string> = {}): Promise<TrustStack> {
  const db = await createTestDatabase();
  const sql = await connect(db.url);
  const serviceEnv = { DATABASE_URL: db.url, ...env };
  const orders = await startOrderService(serviceEnv);
  const notifications = await startNotificationService(serviceEnv);
  return {
    db,
    sql,
    orders,
    notifications,
    close: async () => {
      await notifications.close();
      await orders.close();
      await sql.end();
      await db.drop();
    },
  };
}

/** A registration of the documentation form. */
export function hook(url: string, scope: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { url, scope, ...extra };
}

export async function createOrder(http: Server | string, body: Record<string, unknown> = {}, headers: Record<string, string> = ALPHA): Promise<Order> {
  const response = await request(http)
    .post(ORDERS)
    .set({ ...headers, 'x-channel': 'web' })
    .send({ reference: `ref-${randomUUID().slice(0, 8)}`, currency: 'SEK', cart: { items: [{ reference: 'sku-1', name: 'Mug', quantity: 1, unitPrice: 100 }], total: 100 }, ...body });
  if (response.status !== 201) throw new Error(`create order: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as Order;
}

export async function setState(http: Server | string, orderId: string, currentStatus: string, headers: Record<string, string> = ALPHA): Promise<Order> {
  const response = await request(http).put(`${ORDERS}/${orderId}/state`).set(headers).send({ currentStatus });
  if (response.status !== 200) throw new Error(`set state ${currentStatus}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as Order;
}

/** Every Event of the merchant (all pages), newest first. */
export async function allEvents(http: Server | string, headers: Record<string, string> = ALPHA, query: Record<string, string> = {}): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  for (let offset = 0; ; offset += 500) {
    const response = await request(http).get(EVENTS).query({ ...query, limit: 500, offset }).set(headers);
    if (response.status !== 200) throw new Error(`events: ${response.status} ${JSON.stringify(response.body)}`);
    events.push(...(response.body.data as EventRecord[]));
    if (response.body.data.length < 500) return events;
  }
}

/** Runs `work` over `items` with at most `concurrency` at a time. */
export async function inBatches<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  }));
  return results;
}

/** Polls until `condition` resolves true; fails with `describe()` after `timeoutMs`. */
export async function eventually(condition: () => Promise<boolean> | boolean, timeoutMs: number, describe: () => Promise<string> | string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A direct connection to a test database, for what only the tables can show (leases, raw columns). */
export async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}

/**
 * Every row of every table of both services' schemas, as text, in a stable order: equal dumps mean
 * nothing stored changed. The dispatchers' heartbeats (no merchant data, rewritten every second) are left out.
 */
export async function dumpTables(sql: Client): Promise<string> {
  const { rows: tables } = await sql.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
     WHERE table_schema IN ('orders', 'notifications') AND table_type = 'BASE TABLE'
       AND table_name <> 'dispatch_instances' ORDER BY 1`);
  const dump: string[] = [];
  for (const { name } of tables) {
    const { rows } = await sql.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t ORDER BY 1`);
    dump.push(name, ...rows.map((r) => r.row));
  }
  return dump.join('\n');
}

/** Waits until the consumer group `groupId` is stable with `members` members (instances that joined and were given partitions). */
export async function groupStable(brokers: string[], groupId: string, members: number): Promise<void> {
  const admin = new Kafka({ clientId: 'trust-group-check', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await eventually(async () => {
      const { groups: [group] } = await admin.describeGroups([groupId]);
      return group.state === 'Stable' && group.members.length === members;
    }, 30_000, () => `${members} instances in the consumer group`);
  } finally {
    await admin.disconnect();
  }
}
