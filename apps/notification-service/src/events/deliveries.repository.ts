import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { NewDelivery } from '../delivery/new-delivery';
import { PollQueue } from '../polling/poll-queue';
import { NEW_ATTEMPT_OUTCOME_COLUMNS, newAttemptOutcome, POLL_QUEUED_RESPONSE } from './event-types';

export interface InsertedDeliveries {
  /** Every attempt inserted. */
  eventIds: string[];
  /** The attempts left for the dispatcher (webhook and email); poll attempts are complete already. */
  pendingIds: string[];
  /** Merchants whose poll queue got messages: their receivers are woken once the transaction commits. */
  queuedMerchants: string[];
}

/**
 * Inserts messages and their first attempts in one statement. A message that already exists
 * for the same change, target and scope label is skipped together with its attempt, so a
 * redelivered change event inserts nothing.
 *
 * A poll delivery has no receiver to call: it is put on the merchant's poll queue in the same
 * transaction and its attempt recorded as succeeded at once, so it can neither be lost between
 * the two nor wait for a dispatcher.
 */
@Injectable()
export class DeliveriesRepository {
  constructor(private readonly pollQueue: PollQueue) {}

  async insert(manager: EntityManager, deliveries: NewDelivery[]): Promise<InsertedDeliveries> {
    if (deliveries.length === 0) return { eventIds: [], pendingIds: [], queuedMerchants: [] };
    const column = <T>(pick: (delivery: NewDelivery) => T): T[] => deliveries.map(pick);
    const rows: { id: string }[] = await manager.query(
      `WITH input AS (
         SELECT * FROM unnest(
           $1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], $9::text[], $10::text[],
           $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[],
           $20::text[], $21::timestamptz[]
         ) AS t(event_id, message_id, merchant, order_id, channel, change_id, notification_id, subscription_id, target_id, reference,
                scope, type, delivery, url, method, headers, secret, email, body, trigger, created_at)
       ), inserted AS (
         INSERT INTO "notifications"."messages" (id, merchant, order_id, change_id, target_id, scope, delivery, url, method, headers, secret, email, body, created_at)
         SELECT message_id, merchant, order_id, change_id, target_id, scope, delivery, url, method, headers::jsonb, secret, email, body::json, created_at FROM input
         ON CONFLICT (change_id, target_id, scope) DO NOTHING
         RETURNING id
       )
       INSERT INTO "notifications"."events" (id, message_id, merchant, order_id, channel, notification_id, subscription_id, reference, scope, type, delivery,
                                             attempt, trigger, created_at, ${NEW_ATTEMPT_OUTCOME_COLUMNS})
       SELECT i.event_id, i.message_id, i.merchant, i.order_id, i.channel, i.notification_id, i.subscription_id, i.reference, i.scope, i.type, i.delivery,
              1, i.trigger, i.created_at, ${newAttemptOutcome('i.delivery', 'i.created_at', '$22')}
       FROM input i JOIN inserted m ON m.id = i.message_id
       RETURNING id`,
      [
        column((d) => d.eventId),
        column((d) => d.messageId),
        column((d) => d.merchant),
        column((d) => d.orderId),
        column((d) => d.channel),
        column((d) => d.changeId),
        column((d) => (d.target.kind === 'registration' ? d.target.id : null)),
        column((d) => (d.target.kind === 'subscription' ? d.target.id : null)),
        column((d) => d.target.id),
        column((d) => d.target.reference),
        column((d) => d.scope),
        column((d) => d.type),
        column((d) => d.target.delivery),
        column((d) => d.url),
        column((d) => d.target.method),
        column((d) => JSON.stringify(d.target.sealedHeaders)),
        column((d) => d.target.sealedSecret),
        column((d) => d.target.email),
        column((d) => d.body),
        column((d) => d.trigger),
        column((d) => d.createdAt),
        POLL_QUEUED_RESPONSE,
      ],
    );
    const inserted = new Set(rows.map((row) => row.id));
    const created = deliveries.filter((d) => inserted.has(d.eventId));
    const polled = created.filter((d) => d.target.delivery === 'poll');
    await this.pollQueue.enqueue(polled.map((d) => ({ merchant: d.merchant, messageId: d.messageId, eventId: d.eventId, orderId: d.orderId, body: d.body })), manager);
    return {
      eventIds: created.map((d) => d.eventId),
      pendingIds: created.filter((d) => d.target.delivery !== 'poll').map((d) => d.eventId),
      queuedMerchants: polled.map((d) => d.merchant),
    };
  }

  /** After the inserting transaction committed: wakes the poll receivers waiting for these messages. */
  announce(inserted: InsertedDeliveries): void {
    this.pollQueue.wake(inserted.queuedMerchants);
  }
}
