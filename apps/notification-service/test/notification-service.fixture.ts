import { INestApplication } from '@nestjs/common';
import { ORDER_EVENTS_TOPIC, OrderChangeEvent } from '@ordercast/contracts';
import { EVENT_BUS, EventBus } from '@ordercast/messaging';
import { loadConfig } from '@ordercast/platform';
import type { Server } from 'node:http';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';
import { TEST_SERVICE_ENV } from '../../../test/support/env';
import { EventsWait, waitForOrderEvents } from '../../../test/support/events';
import { WebhookSink } from '../../../test/support/webhook-sink';
import { sealedEvent } from './fixtures/orders';
import { NotificationServiceConfig } from '../src/config/notification-service.config';
import { createNotificationServiceApp } from '../src/create-notification-service-app';
import type { EventRecord } from '../src/events/event-record';

// The project-level testTimeout in jest.config.js is ignored by Jest 29 (it warns "Unknown option"), leaving 5 s.
jest.setTimeout(60_000);

export const NOTIFICATIONS = '/api/v0/checkout/notifications';
export const EVENTS = `${NOTIFICATIONS}/events`;
export const ALPHA = { 'x-merchant': 'alpha', authorization: 'Bearer alpha-token-1' };
export const BETA = { 'x-merchant': 'beta', authorization: 'Bearer beta-token-1' };

/** The shared test environment, with results written at once and a circuit threshold high enough that failure tests do not pause each other's sink. */
export const TEST_ENV = { ...TEST_SERVICE_ENV, RESULT_FLUSH_MS: '5', CIRCUIT_FAILURE_THRESHOLD: '1000' };

/** A suite's world: its own database, a notification-service on it (in-process bus), and a webhook sink. */
export interface Suite {
  db: TestDatabase;
  sql: Client;
  app: INestApplication;
  http: Server;
  bus: EventBus;
  sink: WebhookSink;
  /** Publishes events as order-service would: registrations sealed with the shared test key. */
  publish(...events: OrderChangeEvent[]): Promise<void>;
  /** Publishes raw values (for unreadable messages). */
  publishRaw(key: string, ...values: string[]): Promise<void>;
  /** Events of an order as the API lists them (newest first), once `count` of them match `until`. */
  eventsOf(orderId: string, options?: EventsWait): Promise<EventRecord[]>;
  close(): Promise<void>;
}

export async function startSuite(env: Record<string, string> = {}): Promise<Suite> {
  const db = await createTestDatabase();
  const config = loadConfig(NotificationServiceConfig, { ...TEST_ENV, DATABASE_URL: db.url, ...env });
  const app = await createNotificationServiceApp(config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const bus = app.get<EventBus>(EVENT_BUS);
  const sink = await WebhookSink.start();
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  const http = app.getHttpServer() as Server;

  const eventsOf: Suite['eventsOf'] = (orderId, options = {}) => waitForOrderEvents(http, ALPHA, orderId, { timeoutMs: 10_000, ...options });

  return {
    db,
    sql,
    app,
    http,
    bus,
    sink,
    publish: (...events) => bus.publish(ORDER_EVENTS_TOPIC, events.map((event) => ({ key: event.orderId, value: JSON.stringify(sealedEvent(event)) }))),
    publishRaw: (key, ...values) => bus.publish(ORDER_EVENTS_TOPIC, values.map((value) => ({ key, value }))),
    eventsOf,
    close: async () => {
      await sql.end();
      await app.close();
      await bus.close();
      await sink.close();
      await db.drop();
    },
  };
}
