import { Injectable } from '@nestjs/common';
import { packTexts, preparedStatement, runPrepared } from '@ordercast/platform';
import { DataSource, EntityManager } from 'typeorm';
import type { ClaimedAttempt } from '../delivery/dispatch.repository';
import type { NewDelivery } from '../delivery/new-delivery';
import { roundRobin } from '../delivery/round-robin';
import { SnapshotRow, upsertSnapshots } from '../orders/order-snapshot.store';
import { POLL_RETENTION_DAYS } from '../polling/poll-options';
import { insertPollMessages, PollQueue } from '../polling/poll-queue';
import { NEW_ATTEMPT_OUTCOME_COLUMNS, newAttemptOutcome, orderedKeyLock, POLL_QUEUED_RESPONSE } from './event-types';

export interface InsertedDeliveries {
  /** Every attempt inserted. */
  eventIds: string[];
  /**
   * The attempts left for the dispatcher (webhook and email), not leased and not waiting for an
   * earlier message of an ordered target; poll attempts are complete already.
   */
  pendingIds: string[];
  /** The attempts inserted leased (see {@link InsertOptions.lease}), with what to send and whether their target was disabled. */
  leased: ClaimedAttempt[];
  /** Merchants whose poll queue got messages: their receivers are woken once the statement committed. */
  queuedMerchants: string[];
}

export interface InsertOptions {
  /** Order snapshots to keep, in the same statement (ingest). */
  snapshots?: SnapshotRow[];
  /**
   * Lease `count` webhook and email attempts for `ms` to the caller's dispatcher `owner`, which then
   * needs no claim; taken round-robin over merchants, so one merchant's burst leaves room for the others.
   */
  lease?: { count: number; ms: number; owner: string };
}

/**
 * Inserts messages and their first attempts, and whatever must be written with them, in one
 * statement, so atomically and in one round trip without a transaction: the order snapshots of
 * the changes (ingest), and the poll queue entries of poll deliveries. A message that already
 * exists for the same change, target and scope label is skipped together with its attempt, so a
 * redelivered change event inserts nothing.
 *
 * A poll delivery has no receiver to call: it is put on the merchant's poll queue by the same
 * statement and its attempt recorded as succeeded at once, so it can neither be lost between the
 * two nor wait for a dispatcher.
 *
 * Deliveries in an ordered target's sequence (those with a `sequence`) are linked to the message
 * before them of the same merchant, target and order: the body gets its id as `after`, and the
 * first attempt waits for it (pending, not due, `held_by` set) while it has an automatic attempt
 * pending. Finishing that one releases it (DispatchRepository.record). Both sides hold the key's
 * advisory lock ({@link lockOrderedKeys}) from before they read until they commit, so a message
 * stored while the one before it finishes is either seen finished or released by it, never
 * left waiting for nothing. Such batches cost a transaction; they are never inserted leased, as the
 * stored body (with `after`) is what must go out.
 */
@Injectable()
export class DeliveriesRepository {
  constructor(private readonly pollQueue: PollQueue) {}

  async insert(executor: DataSource | EntityManager, deliveries: NewDelivery[], options: InsertOptions = {}): Promise<InsertedDeliveries> {
    const snapshots = options.snapshots ?? [];
    if (deliveries.length === 0 && snapshots.length === 0) return { eventIds: [], pendingIds: [], leased: [], queuedMerchants: [] };
    const leaseCount = options.lease?.count ?? 0;
    const dispatched = deliveries.filter((d) => d.target.delivery !== 'poll' && d.sequence === null);
    const leased = new Set(roundRobin(dispatched, leaseCount, (d) => d.merchant).map((d) => d.eventId));
    const [rows, bodies] = insertParameters(deliveries, leased);
    const parameters = [
      rows, POLL_QUEUED_RESPONSE, bodies, JSON.stringify(snapshots), options.lease?.ms ?? 0, POLL_RETENTION_DAYS, options.lease?.owner ?? null,
    ];
    const sequenced = deliveries.filter((d) => d.sequence !== null);
    const run = async (on: DataSource | EntityManager) => {
      if (sequenced.length > 0) await lockOrderedKeys(on, sequenced);
      return runPrepared<{ id: string; skip_reason: string | null; held: boolean }>(on, INSERT_DELIVERIES, parameters);
    };
    // Advisory xact locks last until the transaction ends: one of their own, or the caller's (a savepoint in it).
    const created = sequenced.length > 0 ? await executor.transaction(run) : await run(executor);
    const skipReasons = new Map(created.map((row) => [row.id, row.skip_reason]));
    const held = new Set(created.filter((row) => row.held).map((row) => row.id));
    const inserted = deliveries.filter((d) => skipReasons.has(d.eventId));
    const polled = inserted.filter((d) => d.target.delivery === 'poll');
    return {
      eventIds: inserted.map((d) => d.eventId),
      pendingIds: inserted.filter((d) => d.target.delivery !== 'poll' && !leased.has(d.eventId) && !held.has(d.eventId)).map((d) => d.eventId),
      leased: inserted.filter((d) => leased.has(d.eventId)).map((d) => leasedAttempt(d, skipReasons.get(d.eventId) ?? null)),
      queuedMerchants: polled.map((d) => d.merchant),
    };
  }

  /** After the inserting statement committed: wakes the poll receivers waiting for these messages. */
  announce(inserted: InsertedDeliveries): void {
    this.pollQueue.wake(inserted.queuedMerchants);
  }
}

/**
 * Takes the transaction-scoped advisory locks of the ordered keys (merchant, target, order) of
 * `deliveries`, in one statement and in hash order, so two writers never wait for each other crosswise.
 */
async function lockOrderedKeys(executor: DataSource | EntityManager, deliveries: NewDelivery[]): Promise<void> {
  await executor.query(
    `SELECT count(pg_advisory_xact_lock(k.lock)) FROM (
       SELECT DISTINCT ${orderedKeyLock('v.merchant', 'v.target_id', 'v.order_id')} AS lock
       FROM unnest($1::text[], $2::text[], $3::text[]) AS v(merchant, target_id, order_id)
       ORDER BY lock OFFSET 0
     ) k`,
    [deliveries.map((d) => d.merchant), deliveries.map((d) => d.target.id), deliveries.map((d) => d.orderId)],
  );
}

/**
 * $1: the rows, $2: the poll attempt's response text, $3: the bodies (see insertParameters), $4: order
 * snapshots, $5: lease in ms, $6: days a poll message is kept, $7: the lease holder. The leased attempts come back with the
 * reason their target is disabled, if it is, as a claim would tell, and each attempt with whether it waits for an earlier message.
 *
 * `fresh` to `links`: each message of an ordered sequence not stored yet, linked to the one before it, from
 * this batch or stored; it waits if that one is in this batch or still has an automatic attempt pending.
 * Read under the keys' advisory locks, so what is stored and pending is what the completions have left.
 */
const INSERT_DELIVERIES = preparedStatement(
  'notifications.insert-deliveries',
  `WITH input AS (
     SELECT * FROM json_to_recordset($1::json) AS t(
       event_id uuid, message_id uuid, merchant text, order_id text, channel text, change_id text, notification_id text, subscription_id uuid,
       target_id text, reference text, scope text, type text, delivery text, url text, method text, headers jsonb, secret text, email text, auth jsonb, kafka jsonb,
       trigger text, created_at timestamptz, body_start int, body_length int, leased boolean, trace_context jsonb, ordered boolean, sequence bigint)
   ), fresh AS (
     SELECT i.message_id, i.merchant, i.target_id, i.order_id, i.sequence, i.scope FROM input i
     WHERE i.sequence IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM "notifications"."messages" m WHERE m.change_id = i.change_id AND m.target_id = i.target_id AND m.scope = i.scope)
   ), chain AS (
     SELECT f.message_id, lag(f.message_id) OVER (PARTITION BY f.merchant, f.target_id, f.order_id ORDER BY f.sequence, f.scope) AS batch_previous,
            (SELECT m.id FROM "notifications"."messages" m
             WHERE m.merchant = f.merchant AND m.target_id = f.target_id AND m.order_id = f.order_id AND m.sequence IS NOT NULL
               AND (m.sequence, m.scope) < (f.sequence, f.scope)
             ORDER BY m.sequence DESC, m.scope DESC LIMIT 1) AS stored_previous
     FROM fresh f
   ), links AS (
     SELECT message_id, coalesce(batch_previous, stored_previous) AS after,
            batch_previous IS NOT NULL
              OR EXISTS (SELECT 1 FROM "notifications"."events" e WHERE e.message_id = stored_previous AND e.status = 'pending' AND e.trigger = 'automatic') AS held
     FROM chain
   ), snapshots AS (
     ${upsertSnapshots('$4')}
   ), inserted AS (
     INSERT INTO "notifications"."messages" (id, merchant, order_id, change_id, target_id, scope, delivery, url, method, headers, secret, email, auth, kafka, body, body_canonical,
                                             created_at, trace_context, ordered, sequence)
     SELECT i.message_id, i.merchant, i.order_id, i.change_id, i.target_id, i.scope, i.delivery, i.url, i.method, i.headers, i.secret, i.email, i.auth, i.kafka,
            -- "after" sorts before every other key, so the body stays canonical with it first.
            (CASE WHEN l.after IS NULL THEN '' ELSE '{"after":"' || l.after || '",' END
             || substring(convert_from(substring($3::bytea FROM i.body_start FOR i.body_length), 'UTF8') FROM CASE WHEN l.after IS NULL THEN 1 ELSE 2 END))::json,
            true, i.created_at, i.trace_context, i.ordered, i.sequence
     FROM input i LEFT JOIN links l ON l.message_id = i.message_id
     ON CONFLICT (change_id, target_id, scope) DO NOTHING
     RETURNING id
   ), queued AS (
     ${insertPollMessages(
       `(SELECT i.message_id AS id, i.merchant, i.order_id, i.event_id,
                convert_from(substring($3::bytea FROM i.body_start FOR i.body_length), 'UTF8')::json AS body
         FROM input i JOIN inserted ON inserted.id = i.message_id
         WHERE i.delivery = 'poll') AS m`,
       '$6',
     )}
   ), created AS (
     INSERT INTO "notifications"."events" (id, message_id, merchant, order_id, channel, notification_id, subscription_id, reference, scope, type, delivery,
                                           attempt, trigger, created_at, lease_until, lease_owner, held_by, ${NEW_ATTEMPT_OUTCOME_COLUMNS})
     SELECT i.event_id, i.message_id, i.merchant, i.order_id, i.channel, i.notification_id, i.subscription_id, i.reference, i.scope, i.type, i.delivery,
            1, i.trigger, i.created_at, CASE WHEN i.leased THEN now() + $5::int * interval '1 millisecond' END, CASE WHEN i.leased THEN $7::uuid END,
            CASE WHEN l.held THEN l.after END,
            ${newAttemptOutcome('i.delivery', 'CASE WHEN l.held THEN NULL ELSE i.created_at END', '$2')}
     FROM input i JOIN inserted m ON m.id = i.message_id LEFT JOIN links l ON l.message_id = i.message_id
     RETURNING id, merchant, notification_id, held_by
   )
   SELECT c.id, d.reason AS skip_reason, c.held_by IS NOT NULL AS held
   FROM created c LEFT JOIN "notifications"."disabled_registrations" d ON d.merchant = c.merchant AND d.notification_id = c.notification_id`,
);

/** What the dispatcher needs to send an attempt inserted leased to it: what a claim would have returned. */
function leasedAttempt(d: NewDelivery, skipReason: string | null): ClaimedAttempt {
  return {
    id: d.eventId,
    messageId: d.messageId,
    merchant: d.merchant,
    attempt: 1,
    trigger: d.trigger,
    delivery: d.target.delivery,
    url: d.url,
    email: d.target.email,
    method: d.target.method,
    sealedHeaders: d.target.sealedHeaders,
    sealedSecret: d.target.sealedSecret,
    sealedAuth: d.target.sealedAuth,
    sealedKafka: d.target.sealedKafka,
    orderId: d.orderId,
    body: d.body,
    bodyCanonical: true,
    inSequence: false,
    skipReason,
    traceContext: d.trace,
    targetMoved: false,
  };
}

/**
 * The rows as one JSON array, and every body in one bytea with each row's byte range ({@link packTexts}):
 * a body inside the JSON array cost PostgreSQL two parses, a third of the statement's time.
 */
function insertParameters(deliveries: NewDelivery[], leased: ReadonlySet<string>): [string, Buffer] {
  const { bytes, ranges } = packTexts(deliveries.map((d) => d.body));
  const rows = deliveries.map((d, index) => {
    const [start, length] = ranges[index];
    return JSON.stringify({
      event_id: d.eventId,
      message_id: d.messageId,
      merchant: d.merchant,
      order_id: d.orderId,
      channel: d.channel,
      change_id: d.changeId,
      notification_id: d.target.kind === 'registration' ? d.target.id : null,
      subscription_id: d.target.kind === 'subscription' ? d.target.id : null,
      target_id: d.target.id,
      reference: d.target.reference,
      scope: d.scope,
      type: d.type,
      delivery: d.target.delivery,
      url: d.url,
      method: d.target.method,
      headers: d.target.sealedHeaders,
      secret: d.target.sealedSecret,
      email: d.target.email,
      auth: d.target.sealedAuth,
      kafka: d.target.sealedKafka,
      trigger: d.trigger,
      created_at: d.createdAt,
      body_start: start,
      body_length: length,
      leased: leased.has(d.eventId),
      trace_context: d.trace,
      ordered: d.target.ordered,
      sequence: d.sequence,
    });
  });
  return [`[${rows.join(',')}]`, bytes];
}
