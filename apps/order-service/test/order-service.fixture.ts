import { INestApplication } from '@nestjs/common';
import type { Order } from '@ordercast/contracts';
import { EVENT_BUS, EventBus } from '@ordercast/messaging';
import { loadConfig } from '@ordercast/platform';
import type { Server } from 'node:http';
import { Client } from 'pg';
import request from 'supertest';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { TEST_ENCRYPTION_KEY } from '../../../test/support/env';
import { OrderServiceConfig } from '../src/config/order-service.config';
import { createOrderServiceApp } from '../src/create-order-service-app';

export const ORDERS = '/api/v0/checkout/orders';
export const ALPHA = { 'x-merchant': 'alpha', authorization: 'Bearer alpha-token-1' };
export const BETA = { 'x-merchant': 'beta', authorization: 'Bearer beta-token-1' };
export const WEB = { ...ALPHA, 'x-channel': 'web' };
export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

export interface OrderService {
  app: INestApplication;
  http: Server;
  bus: EventBus;
  close(): Promise<void>;
}

/** An order-service on the given database, initialised (relay running) but not listening. */
export async function startOrderService(databaseUrl: string, env: Record<string, string> = {}): Promise<OrderService> {
  const config = loadConfig(OrderServiceConfig, {
    PORT: '0',
    DATABASE_URL: databaseUrl,
    API_TOKENS: 'alpha:alpha-token-1,beta:beta-token-1',
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: 'warn',
    ...env,
  });
  const app = await createOrderServiceApp(config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const bus = app.get<EventBus>(EVENT_BUS);
  return {
    app,
    http: app.getHttpServer(),
    bus,
    close: async () => {
      await app.close();
      // The app leaves the in-process bus open (the embedded default shares it between apps); this suite closes it.
      await bus.close();
    },
  };
}

/** One suite's world: its own database, a direct connection to it, and a service on it. */
export interface Suite {
  db: TestDatabase;
  sql: Client;
  service: OrderService;
  http: Server;
  close(): Promise<void>;
}

export async function startSuite(env: Record<string, string> = {}): Promise<Suite> {
  const db = await createTestDatabase();
  const service = await startOrderService(db.url, env);
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  return {
    db,
    sql,
    service,
    http: service.http,
    close: async () => {
      await sql.end();
      await service.close();
      await db.drop();
    },
  };
}

export function orderRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    reference: 'web-10001',
    currency: 'SEK',
    country: 'SE',
    culture: 'sv-SE',
    cart: { items: [{ reference: 'SKU-1', name: 'Rain jacket', quantity: 2, unitPrice: 499 }] },
    customer: { email: 'anna@example.com' },
    ...overrides,
  };
}

export const ERP_KEY = 'erp-integration-key-12345';
export const SIGNING_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export function registration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    url: 'https://erp.example.com/api/orders/{order.id}/import',
    headers: { 'X-API-Key': ERP_KEY, Accept: 'application/json' },
    scope: { state: ['completed'] },
    secret: SIGNING_SECRET,
    ...overrides,
  };
}

/** An order as a change event's `previous` carries it: without its registrations. */
export function withoutRegistrations({ notifications: _notifications, ...order }: Order): Omit<Order, 'notifications'> {
  return order;
}

export async function createOrder(http: Server, overrides: Record<string, unknown> = {}, headers: Record<string, string> = WEB): Promise<Order> {
  const response = await request(http).post(ORDERS).set(headers).send(orderRequest(overrides));
  if (response.status !== 201) throw new Error(`creating an order gave ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function outboxCount(sql: Client): Promise<number> {
  const { rows } = await sql.query<{ count: string }>('SELECT count(*) FROM orders.outbox');
  return Number(rows[0].count);
}

/**
 * Runs a request that must be refused and checks that nothing stored changed: the order
 * reads the same and no change event was written.
 */
export async function expectNothingChanged(suite: Suite, orderId: string, refused: () => Promise<unknown>): Promise<void> {
  const before = await request(suite.http).get(`${ORDERS}/${orderId}`).set(ALPHA);
  const events = await outboxCount(suite.sql);
  await refused();
  const after = await request(suite.http).get(`${ORDERS}/${orderId}`).set(ALPHA);
  if (before.status !== 200) throw new Error(`order ${orderId} could not be read: ${before.status}`);
  expect(after.body).toEqual(before.body);
  expect(await outboxCount(suite.sql)).toBe(events);
}
