import type { INestApplication } from '@nestjs/common';
import type { Order } from '@ordercast/contracts';
import { loadConfig } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { NotificationServiceConfig } from '../../apps/notification-service/src/config/notification-service.config';
import { createNotificationServiceApp } from '../../apps/notification-service/src/create-notification-service-app';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';
import { OrderServiceConfig } from '../../apps/order-service/src/config/order-service.config';
import { createOrderServiceApp } from '../../apps/order-service/src/create-order-service-app';
import { createTestDatabase, TestDatabase } from './database';
import { EVENTS_PATH, EventsWait, waitForOrderEvents } from './events';
import { TEST_OPERATOR_TOKEN, TEST_SERVICE_ENV } from './env';
import { kafkaBrokers } from './kafka';
import { WebhookSink } from './webhook-sink';

export const ORDERS = '/api/v0/checkout/orders';
export const CHANNELS = '/api/v0/checkout/channels';
export const NOTIFICATIONS = '/api/v0/checkout/notifications';
export const EVENTS = EVENTS_PATH;
export const ALPHA = { 'x-merchant': 'alpha', authorization: 'Bearer alpha-token-1' };
/** Service-wide actions (signing-key rotation) take the operator token, not a merchant's. */
export const OPERATOR = { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` };
export const BETA = { 'x-merchant': 'beta', authorization: 'Bearer beta-token-1' };

export type BusKind = 'kafka' | 'in-process';


/**
 * Both services as one system: order-service publishing through its outbox, notification-service
 * consuming, on one test database and either the real Kafka broker (with a topic prefix of the
 * suite's own, so suites never read each other's events) or the in-process bus; plus a sink.
 */
export interface System {
  db: TestDatabase;
  orders: INestApplication;
  notifications: INestApplication;
  ordersHttp: Server;
  notificationsHttp: Server;
  sink: WebhookSink;
  createOrder(body?: Record<string, unknown>, channel?: string): Promise<Order>;
  setState(orderId: string, currentStatus: string): Promise<Order>;
  /** The order's Events once `count` of them satisfy `until` (default: no longer pending). */
  eventsOf(orderId: string, options?: EventsWait): Promise<EventRecord[]>;
  close(): Promise<void>;
}

export async function startSystem(bus: BusKind, env: Record<string, string> = {}): Promise<System> {
  const db = await createTestDatabase();
  const shared: Record<string, string> = { ...TEST_SERVICE_ENV, DATABASE_URL: db.url, ...env };
  if (bus === 'kafka') {
    shared.KAFKA_BROKERS = kafkaBrokers().join(',');
    shared.KAFKA_TOPIC_PREFIX ??= `t${randomUUID().slice(0, 8)}.`;
  }
  const orders = await createOrderServiceApp(loadConfig(OrderServiceConfig, shared));
  await orders.init();
  await orders.getHttpAdapter().getInstance().ready();
  const notifications = await createNotificationServiceApp(loadConfig(NotificationServiceConfig, shared));
  await notifications.init();
  await notifications.getHttpAdapter().getInstance().ready();
  const sink = await WebhookSink.start();
  const ordersHttp = orders.getHttpServer() as Server;
  const notificationsHttp = notifications.getHttpServer() as Server;

  const createOrder: System['createOrder'] = async (body = {}, channel = 'web') => {
    const response = await request(ordersHttp)
      .post(ORDERS)
      .set({ ...ALPHA, 'x-channel': channel })
      .send({ reference: `ref-${randomUUID().slice(0, 8)}`, currency: 'SEK', cart: { items: [{ reference: 'sku-1', name: 'Mug', quantity: 2, unitPrice: 50 }], total: 100 }, ...body });
    if (response.status !== 201) throw new Error(`create order: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as Order;
  };

  const setState: System['setState'] = async (orderId, currentStatus) => {
    const response = await request(ordersHttp).put(`${ORDERS}/${orderId}/state`).set(ALPHA).send({ currentStatus });
    if (response.status !== 200) throw new Error(`set state ${currentStatus}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as Order;
  };

  const eventsOf: System['eventsOf'] = (orderId, options) => waitForOrderEvents(notificationsHttp, ALPHA, orderId, options);

  return {
    db,
    orders,
    notifications,
    ordersHttp,
    notificationsHttp,
    sink,
    createOrder,
    setState,
    eventsOf,
    close: async () => {
      await sink.close();
      await notifications.close();
      await orders.close();
      await db.drop();
    },
  };
}
