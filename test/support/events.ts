import type { Server } from 'node:http';
import request from 'supertest';
import type { EventRecord } from '../../apps/notification-service/src/events/event-record';

export const EVENTS_PATH = '/api/v0/checkout/notifications/events';

export interface EventsWait {
  /** How many Events must satisfy `until`; 1 by default. */
  count?: number;
  /** Default: no longer pending. */
  until?: (event: EventRecord) => boolean;
  timeoutMs?: number;
  /** More filters of GET /events. */
  query?: Record<string, string>;
}

/** Polls an order's Events through the API until enough of them satisfy `until`; returns all of them, newest first. */
export async function waitForOrderEvents(http: Server, headers: Record<string, string>, orderId: string, options: EventsWait = {}): Promise<EventRecord[]> {
  const { count = 1, until = (event: EventRecord) => event.status !== 'pending', timeoutMs = 30_000, query = {} } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await request(http).get(EVENTS_PATH).query({ orderId, limit: 500, ...query }).set(headers);
    if (response.status !== 200) throw new Error(`events query: ${response.status} ${JSON.stringify(response.body)}`);
    const events = response.body.data as EventRecord[];
    if (events.filter(until).length >= count) return events;
    if (Date.now() > deadline) throw new Error(`expected ${count} matching event(s) of order ${orderId} within ${timeoutMs} ms, got ${JSON.stringify(events, null, 2)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
