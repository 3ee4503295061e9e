import { INestApplication } from '@nestjs/common';
import { normaliseScope } from '@ordercast/contracts';
import { JsonLogger, loadConfig } from '@ordercast/platform';
import type { Server } from 'node:http';
import { Client } from 'pg';
import request from 'supertest';
import { NotificationServiceConfig } from '../src/config/notification-service.config';
import { createNotificationServiceApp } from '../src/create-notification-service-app';
import type { EventRecord } from '../src/events/event-record';
import { aChangeEvent, aRegistration, anOrder, withState } from './fixtures/orders';
import { ALPHA, EVENTS, startSuite, Suite, TEST_ENV } from './notification-service.fixture';

/**
 * Retries of one event sent at once, to one instance or spread over two on the same database:
 * exactly one creates the new attempt, every other one is told a retry is pending. They raced to
 * write the same next attempt, and the losers' duplicate key was logged as a failed query
 * (attack on the running system).
 */
describe('retries of one event sent at once (real PostgreSQL)', () => {
  let suite: Suite;
  let other: INestApplication;
  let otherHttp: Server;

  beforeAll(async () => {
    suite = await startSuite();
    other = await createNotificationServiceApp(loadConfig(NotificationServiceConfig, { ...TEST_ENV, DATABASE_URL: suite.db.url }));
    await other.init();
    await other.getHttpAdapter().getInstance().ready();
    otherHttp = other.getHttpServer() as Server;
  });
  afterAll(async () => {
    await other?.close();
    await suite?.close();
  });

  let errors: jest.SpyInstance;
  beforeEach(() => (errors = jest.spyOn(JsonLogger.prototype, 'error')));
  afterEach(() => errors.mockRestore());

  /** A dead delivery of alpha whose target now takes 2 s to fail, so a retry of it stays pending while the others arrive. */
  async function deadDelivery(): Promise<EventRecord> {
    const path = `/concurrent-retries-${Date.now()}`;
    suite.sink.respond(path, 500);
    const before = anOrder({ merchant: 'alpha', notifications: [aRegistration({ url: suite.sink.url(path), scope: normaliseScope({ state: ['processing'] }) })] });
    await suite.publish(aChangeEvent(before, withState(before, 'processing')));
    const events = await suite.eventsOf(before.id, { until: (e) => e.status === 'dead' });
    suite.sink.respond(path, { status: 500, delayMs: 2000 });
    return events.find((e) => e.status === 'dead') as EventRecord;
  }

  /** Waits until `count` retries wait for the events table (asked on a connection of its own: a transaction sees pg_stat_activity as it first read it). */
  async function waitForRetries(count: number): Promise<void> {
    const waiting = async () =>
      (await suite.sql.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid)
         WHERE NOT l.granted AND l.relation = 'notifications.events'::regclass AND a.query LIKE 'WITH latest AS (%'`,
      )).rows[0].n as number;
    for (let waited = 0; (await waiting()) < count; waited += 20) {
      if (waited > 10_000) throw new Error(`fewer than ${count} retries reached the events table`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const attemptsOf = async (messageId: string) =>
    (await suite.sql.query(`SELECT count(*)::int AS n FROM notifications.events WHERE message_id = $1`, [messageId])).rows[0].n as number;

  it.each([
    ['one instance', () => [suite.http]],
    ['two instances', () => [suite.http, otherHttp]],
  ])('creates one attempt and answers every other retry 409, logging no error (%s)', async (_case, servers) => {
    const dead = await deadDelivery();
    const before = await attemptsOf(dead.messageId);
    const instances = servers();

    // Writers of events wait at the door until two retries are there, so they write side by side
    // (within one instance, the second is let past the merchant's line once the first has waited
    // the line's patience, as on a loaded database).
    const door = new Client({ connectionString: suite.db.url });
    await door.connect();
    await door.query('BEGIN');
    await door.query('LOCK TABLE notifications.events IN EXCLUSIVE MODE');
    const sent = Promise.all(
      Array.from({ length: 10 }, (_, n) => request(instances[n % instances.length]).post(`${EVENTS}/${dead.id}/retry`).set(ALPHA).send()),
    );
    try {
      await waitForRetries(2);
    } finally {
      await door.query('COMMIT');
      await door.end();
    }
    const answers = await sent;

    expect(answers.map((answer) => answer.status).sort()).toEqual([202, ...Array(9).fill(409)]);
    expect(answers.find((answer) => answer.status === 202)?.body).toMatchObject({ trigger: 'retry', retryOf: dead.id, attempt: dead.attempt + 1 });
    for (const refused of answers.filter((answer) => answer.status === 409)) {
      expect(refused.body.message).toBe(`event ${dead.id} cannot be retried while an attempt of its delivery is pending`);
    }
    expect(await attemptsOf(dead.messageId)).toBe(before + 1);
    expect(errors).not.toHaveBeenCalled();
  });
});
