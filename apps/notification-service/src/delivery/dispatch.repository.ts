import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DeliveryKind, HttpMethod, KafkaDestination, TargetAuth } from '@ordercast/contracts';
import { PreparedStatement, preparedStatement, runPrepared, TraceHeaders } from '@ordercast/platform';
import { DataSource, EntityManager } from 'typeorm';
import { EventStatus, EventTrigger, orderedKeyLock } from '../events/event-types';
import { SUBSCRIPTION_DELETED, TARGET_DISABLED_ERROR } from './attempt-verdict';

/** A pending webhook, email or kafka attempt this dispatcher holds a lease on, with what to send. */
export interface ClaimedAttempt {
  id: string;
  messageId: string;
  merchant: string;
  /** The key of a kafka delivery's record. */
  orderId: string;
  attempt: number;
  trigger: EventTrigger;
  delivery: DeliveryKind;
  url: string | null;
  /** The recipient of an email delivery. */
  email: string | null;
  method: HttpMethod;
  sealedHeaders: Record<string, string>;
  sealedSecret: string | null;
  /** How the target is authenticated, its credential sealed. */
  sealedAuth: TargetAuth | null;
  /** The topic of a kafka delivery, its SASL password sealed. */
  sealedKafka: KafkaDestination | null;
  body: string;
  /** The body is RFC 8785 canonical JSON (every message stored since the column was added). */
  bodyCanonical: boolean;
  /** Set when the registration or subscription was disabled after the row was created. */
  skipReason: string | null;
  /** The message's trace context: the attempt's span is its child. */
  traceContext: TraceHeaders | null;
  /** A subscription's attempt whose URL or method (its subscription's now) are not those its message was made with. */
  targetMoved: boolean;
  /**
   * An automatic attempt of a message in an ordered sequence: once its message is finished, the
   * next message of the sequence may go (operator retries and manual sends are outside the sequence).
   */
  inSequence: boolean;
}

export interface AttemptResult {
  eventId: string;
  status: Exclude<EventStatus, 'pending'>;
  statusCode: number | null;
  responseBody: string | null;
  responseTruncated: boolean;
  error: string | null;
  durationMs: number | null;
  completedAt: Date;
  /** The headers as sent, masked. */
  requestHeaders: Record<string, string> | null;
  /** The URL and method called, when not the message's ({@link ClaimedAttempt.targetMoved}). */
  movedTo: { url: string | null; method: HttpMethod } | null;
  /** The automatic retry this failure schedules. */
  retry: { eventId: string; at: Date } | null;
  disableTarget: boolean;
  /** From {@link ClaimedAttempt.inSequence}: with no retry, this result finishes its message and releases the next. */
  inSequence: boolean;
}

export interface Deferral {
  eventId: string;
  until: Date;
}

/**
 * Completes attempts still pending, from one JSON parameter rather than ten arrays: pg escapes every
 * element of a text array and the server parses them back (12.3 against 9.9 ms per 150 results).
 */
const COMPLETE_ATTEMPTS = preparedStatement(
  'notifications.complete-attempts',
  `UPDATE "notifications"."events" e SET
     status = v.status, status_code = v.status_code, response_body = v.response_body, response_truncated = v.response_truncated,
     error = v.error, duration_ms = v.duration_ms, completed_at = v.completed_at, request_headers = v.request_headers,
     request_url = v.request_url, request_method = v.request_method, next_attempt_at = v.next_attempt_at, lease_until = NULL
   FROM json_to_recordset($1::json) AS v(id uuid, status text, status_code int, response_body text, response_truncated boolean, error text,
                                          duration_ms int, completed_at timestamptz, request_headers jsonb, request_url text, request_method text,
                                          next_attempt_at timestamptz)
   WHERE e.id = v.id AND e.status = 'pending' AND e.lease_owner = $2
   RETURNING e.id`,
);

// Poll deliveries are never pending: they are queued when created. The condition matches events_merchant_due_idx.
const PENDING = `status = 'pending' AND delivery IN ('webhook', 'email', 'kafka')`;
const DUE = `${PENDING} AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())`;

/**
 * Due rows, a fair share per merchant: the merchants with pending rows are walked through the index
 * (one probe each, however many rows they have), those with a due row each give up to
 * limit/merchants of their oldest due rows, and the rows are taken turn by turn: every merchant's
 * oldest first, then every merchant's second... So a merchant's backlog of thousands is claimed
 * alongside another's single fresh row instead of ahead of it. $2: the limit.
 *
 * A merchant with fewer due rows than its share leaves that part of the batch unclaimed; the
 * dispatcher claims again at once while claims bring rows, and by then that merchant has nothing
 * due, so the others' shares are larger. Cost: one index probe per merchant with pending rows,
 * plus the rows claimed (about 4 ms for 200 rows of 52 merchants among 520,000 Events).
 */
const FAIR_DUE_IDS = `
  WITH RECURSIVE merchants(merchant) AS (
    (SELECT merchant FROM "notifications"."events" WHERE ${PENDING} ORDER BY merchant LIMIT 1)
    UNION ALL
    SELECT (SELECT e.merchant FROM "notifications"."events" e WHERE ${PENDING} AND e.merchant > m.merchant ORDER BY e.merchant LIMIT 1)
    FROM merchants m WHERE m.merchant IS NOT NULL
  ), due_merchants AS (
    SELECT m.merchant FROM merchants m
    WHERE m.merchant IS NOT NULL AND EXISTS (SELECT 1 FROM "notifications"."events" e WHERE e.merchant = m.merchant AND ${DUE})
  ), share AS (
    SELECT greatest(1, ceil($2::numeric / greatest(count(*), 1)))::int AS rows FROM due_merchants
  )
  SELECT ranked.id FROM (
    SELECT due.id, due.next_attempt_at, row_number() OVER (PARTITION BY m.merchant ORDER BY due.next_attempt_at) AS turn
    FROM due_merchants m CROSS JOIN LATERAL (
      SELECT e.id, e.next_attempt_at FROM "notifications"."events" e
      WHERE e.merchant = m.merchant AND ${DUE}
      ORDER BY e.next_attempt_at LIMIT (SELECT rows FROM share)
      FOR UPDATE SKIP LOCKED
    ) due
  ) ranked
  ORDER BY ranked.turn, ranked.next_attempt_at
  LIMIT $2`;

/**
 * SQL: why an attempt (`attempt`, an events row) is recorded without a call, or null: its registration
 * disabled (410 Gone) or deleted (`disabled`, its disabled_registrations row), its subscription disabled,
 * deleted, or changed to another delivery kind than the attempt's (`subscription`, its subscriptions row),
 * each LEFT JOINed by the caller. A subscription's attempts go where it points now (see currentTarget): one
 * made for a webhook has nowhere to go once the subscription is a poll, email or Kafka one, and must not
 * go to the URL, headers and secret the merchant replaced.
 */
export function skipReason(attempt: string, disabled: string, subscription: string): string {
  return `CASE WHEN ${disabled}.notification_id IS NOT NULL THEN ${disabled}.reason
              WHEN ${subscription}.enabled = false THEN coalesce(${subscription}.disabled_reason, 'subscription disabled')
              WHEN ${attempt}.subscription_id IS NOT NULL AND ${subscription}.id IS NULL THEN '${SUBSCRIPTION_DELETED}'
              WHEN ${subscription}.delivery <> ${attempt}.delivery
                THEN 'subscription changed to ' || ${subscription}.delivery || ' delivery; this delivery was made for ' || ${attempt}.delivery END`;
}

/**
 * SQL: where an attempt goes. A subscription's goes where the subscription points now (URL, method, headers,
 * secret, email, auth, Kafka topic), as a Svix endpoint's retries do: after a PATCH that moves its URL or
 * rotates a header value or secret, the earlier deliveries' retries use the new ones, and none goes to a URL
 * the merchant moved away from. A subscription now of another delivery kind than the message's skips the
 * attempt instead (see skipReason). A registration's attempts go as their message was made (registrations
 * are replaced, never changed).
 */
function currentTarget(column: string): string {
  return `CASE WHEN s.delivery = m.delivery THEN s.${column} ELSE m.${column} END`;
}

/**
 * What an attempt needs to be sent, columns named as ClaimedAttempt's fields, from `c`: leased Event
 * rows with their id, message_id, merchant, order_id, notification_id, subscription_id, delivery, attempt,
 * trigger and next_attempt_at.
 */
const ATTEMPTS_TO_SEND = `
  SELECT c.id, c.message_id AS "messageId", c.merchant, c.order_id AS "orderId", c.attempt, c.trigger, m.delivery,
         ${currentTarget('url')} AS url, ${currentTarget('email')} AS email, ${currentTarget('method')} AS method, ${currentTarget('headers')} AS "sealedHeaders",
         ${currentTarget('secret')} AS "sealedSecret", ${currentTarget('auth')} AS "sealedAuth", ${currentTarget('kafka')} AS "sealedKafka",
         m.body::text AS body, m.body_canonical AS "bodyCanonical", m.trace_context AS "traceContext",
         coalesce(s.delivery = m.delivery AND (s.url IS DISTINCT FROM m.url OR s.method <> m.method), false) AS "targetMoved",
         (m.sequence IS NOT NULL AND c.trigger = 'automatic') AS "inSequence",
         ${skipReason('c', 'd', 's')} AS "skipReason"
  FROM %ROWS% c
  JOIN "notifications"."messages" m ON m.id = c.message_id
  LEFT JOIN "notifications"."disabled_registrations" d ON d.merchant = c.merchant AND d.notification_id = c.notification_id
  LEFT JOIN "notifications"."subscriptions" s ON s.id = c.subscription_id
  ORDER BY c.next_attempt_at`;

/**
 * Leases the rows `selectIds` names ($1: lease in ms, $3: the holder) and returns them as the attempts
 * to send. Prepared: a claim runs every few milliseconds under load, and planning it took most of its
 * server time (BENCH_PG_STATS: 202 of 240 ms in 46 claims).
 */
function claimStatement(name: string, selectIds: string): PreparedStatement {
  return preparedStatement(
    name,
    `WITH claimed AS (
       UPDATE "notifications"."events" e SET lease_until = now() + $1::int * interval '1 millisecond', lease_owner = $3::uuid
       WHERE e.id IN (${selectIds})
       RETURNING e.id, e.message_id, e.merchant, e.order_id, e.notification_id, e.subscription_id, e.delivery, e.attempt, e.trigger, e.next_attempt_at
     )
     ${ATTEMPTS_TO_SEND.replace('%ROWS%', 'claimed')}`,
  );
}

/**
 * Reads back rows still leased to $2 among the ids $1 ({@link LineOverflow}): no write, the lease
 * is already the holder's and its renewals keep it. A row whose lease ran out, moved on or was
 * completed is left out.
 */
const READ_LEASED = preparedStatement(
  'notifications.read-leased',
  ATTEMPTS_TO_SEND.replace(
    '%ROWS%',
    `(SELECT * FROM "notifications"."events" WHERE id = ANY($1::uuid[]) AND status = 'pending' AND lease_owner = $2::uuid AND lease_until > now())`,
  ),
);

const CLAIM_DUE = claimStatement('notifications.claim-due', FAIR_DUE_IDS);
const CLAIM_BY_IDS = claimStatement(
  'notifications.claim-by-ids',
  `SELECT id FROM "notifications"."events" WHERE id = ANY($2::uuid[]) AND ${DUE} FOR UPDATE SKIP LOCKED`,
);

/** The dispatch table operations: lease due rows, record results, hold rows back, and the instances' heartbeats. */
@Injectable()
export class DispatchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Leases up to `limit` due rows to `owner`, a fair share per merchant; rows other dispatchers hold are skipped, not waited for. */
  claimDue(limit: number, leaseMs: number, owner: string): Promise<ClaimedAttempt[]> {
    return runPrepared<ClaimedAttempt>(this.dataSource, CLAIM_DUE, [leaseMs, limit, owner]);
  }

  /** Leases the given rows to `owner` if they are still due and free (rows just committed by the local ingest). */
  claimByIds(ids: string[], leaseMs: number, owner: string): Promise<ClaimedAttempt[]> {
    return runPrepared<ClaimedAttempt>(this.dataSource, CLAIM_BY_IDS, [leaseMs, ids, owner]);
  }

  /** The attempts among `ids` still leased to `owner`, to send: rows it kept by id while their endpoint's line was full. */
  readLeased(ids: string[], owner: string): Promise<ClaimedAttempt[]> {
    return runPrepared<ClaimedAttempt>(this.dataSource, READ_LEASED, [ids, owner]);
  }

  /**
   * Extends the leases `owner` still holds among `ids` and returns those ids; a row missing from
   * the answer was completed or its lease moved on (released or taken by another instance), and
   * must not be sent from here.
   */
  async renew(ids: string[], leaseMs: number, owner: string): Promise<Set<string>> {
    // A SELECT around the UPDATE: TypeORM answers a bare UPDATE with [rows, count].
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      `WITH renewed AS (
         UPDATE "notifications"."events" SET lease_until = now() + $2::int * interval '1 millisecond'
         WHERE id = ANY($1::uuid[]) AND lease_owner = $3 AND status = 'pending'
         RETURNING id
       )
       SELECT id FROM renewed`,
      [ids, leaseMs, owner],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Writes `instance`'s heartbeat. False when its row was gone: another instance took it for dead
   * and released its leases, so nothing it holds in memory may be sent any more. (The row is
   * written again, so it is alive from now on.)
   */
  async heartbeat(instance: string): Promise<boolean> {
    const [row] = await this.dataSource.query<Array<{ fresh: boolean }>>(
      `INSERT INTO "notifications"."dispatch_instances" (id) VALUES ($1)
       ON CONFLICT (id) DO UPDATE SET last_seen = now()
       RETURNING (xmax = 0) AS fresh`,
      [instance],
    );
    return !row.fresh;
  }

  /**
   * Forgets the instances silent for `timeoutMs` and releases their leases, in one statement: an
   * instance writing its heartbeat meanwhile waits for the DELETE and then finds its row gone, so
   * it learns that its leases were released. Returns how many rows were released. The usual case,
   * nobody silent, costs one look at the small instances table.
   */
  async releaseSilent(timeoutMs: number): Promise<{ instances: number; rows: number }> {
    const silent = `last_seen < now() - $1::int * interval '1 millisecond'`;
    const [{ any }] = await this.dataSource.query<Array<{ any: boolean }>>(
      `SELECT EXISTS (SELECT 1 FROM "notifications"."dispatch_instances" WHERE ${silent}) AS any`,
      [timeoutMs],
    );
    if (!any) return { instances: 0, rows: 0 };
    const [released] = await this.dataSource.query<Array<{ instances: number; rows: number }>>(
      `WITH dead AS (
         DELETE FROM "notifications"."dispatch_instances" WHERE ${silent} RETURNING id
       ), released AS (
         UPDATE "notifications"."events" e SET lease_until = NULL, lease_owner = NULL
         FROM dead WHERE e.lease_owner = dead.id AND ${PENDING}
         RETURNING e.id
       )
       SELECT (SELECT count(*) FROM dead)::int AS instances, (SELECT count(*) FROM released)::int AS rows`,
      [timeoutMs],
    );
    return released;
  }

  /**
   * Gives back the pending rows leased to `owner` that it does not hold (`held`) and that were leased
   * at least `graceMs` ago: rows of a claim that committed but whose answer the connection lost, which
   * would otherwise wait for their lease to run out. Rows leased within `graceMs` are left alone, so a
   * claim whose answer is still on its way keeps its rows. Returns how many were given back.
   */
  async releaseUnheld(owner: string, held: string[], leaseMs: number, graceMs: number): Promise<number> {
    const [{ rows }] = await this.dataSource.query<Array<{ rows: number }>>(
      `WITH released AS (
         UPDATE "notifications"."events" SET lease_until = NULL, lease_owner = NULL
         WHERE lease_owner = $1 AND ${PENDING} AND id <> ALL($2::uuid[]) AND lease_until <= now() + ($3::int - $4::int) * interval '1 millisecond'
         RETURNING id
       )
       SELECT count(*)::int AS rows FROM released`,
      [owner, held, leaseMs, graceMs],
    );
    return rows;
  }

  /** At shutdown, after the last result was written: removes the heartbeat and releases whatever is still leased to `instance`. */
  async unregister(instance: string): Promise<void> {
    await this.dataSource.query(
      `WITH gone AS (DELETE FROM "notifications"."dispatch_instances" WHERE id = $1)
       UPDATE "notifications"."events" SET lease_until = NULL, lease_owner = NULL WHERE lease_owner = $1 AND ${PENDING}`,
      [instance],
    );
  }

  /**
   * Writes a batch of results in one transaction: one UPDATE for every completion, one INSERT
   * for the retries they schedule, and the targets that answered 410 Gone. A row another
   * dispatcher completed in the meantime (expired lease) is left as it is, and so is its retry.
   * The usual batch, completions that schedule and disable nothing, is the UPDATE alone,
   * autocommitted: one round trip instead of three.
   *
   * Only the lease holder `owner` writes: a row whose lease was released or moved to another
   * instance (which sends it, or has) is left as it is, and so is its retry.
   *
   * A result that finishes an ordered message releases the next one in the same transaction
   * ({@link releaseNext}); the ids released are returned, to be claimed at once.
   */
  async record(results: AttemptResult[], deferrals: Deferral[], owner: string): Promise<string[]> {
    if (deferrals.length === 0 && results.every((result) => result.retry === null && !result.disableTarget && !result.inSequence)) {
      if (results.length > 0) await this.complete(this.dataSource, results, owner);
      return [];
    }
    return this.dataSource.transaction(async (manager) => {
      const completed = results.length > 0 ? await this.complete(manager, results, owner) : new Set<string>();
      const retries = results.filter((result) => result.retry !== null && completed.has(result.eventId));
      if (retries.length > 0) await this.insertRetries(manager, retries);
      const gone = results.filter((result) => result.disableTarget && completed.has(result.eventId)).map((result) => result.eventId);
      if (gone.length > 0) await this.disableTargets(manager, gone);
      if (deferrals.length > 0) await this.defer(manager, deferrals, owner);
      const finished = results.filter((result) => result.inSequence && result.retry === null && completed.has(result.eventId)).map((result) => result.eventId);
      return finished.length > 0 ? this.releaseNext(manager, finished) : [];
    });
  }

  /**
   * Makes the attempts waiting for the messages of `finishedIds` (succeeded or dead, nothing
   * scheduled) due now, and returns their ids. The keys' advisory locks are taken first, in a
   * statement of their own: an ingest linking a new message to one of these holds them until it
   * commits, so the release below, with a snapshot taken after the locks, sees its row.
   */
  private async releaseNext(manager: EntityManager, finishedIds: string[]): Promise<string[]> {
    await manager.query(
      `SELECT count(pg_advisory_xact_lock(k.lock)) FROM (
         SELECT DISTINCT ${orderedKeyLock('m.merchant', 'm.target_id', 'm.order_id')} AS lock
         FROM "notifications"."events" e JOIN "notifications"."messages" m ON m.id = e.message_id
         WHERE e.id = ANY($1::uuid[])
         ORDER BY lock OFFSET 0
       ) k`,
      [finishedIds],
    );
    const released = await manager.query<Array<{ id: string }>>(
      `WITH released AS (
         UPDATE "notifications"."events" SET next_attempt_at = now()
         WHERE held_by IN (SELECT message_id FROM "notifications"."events" WHERE id = ANY($1::uuid[])) AND status = 'pending' AND next_attempt_at IS NULL
         RETURNING id
       )
       SELECT id FROM released`,
      [finishedIds],
    );
    return released.map((row) => row.id);
  }

  private async complete(executor: DataSource | EntityManager, results: AttemptResult[], owner: string): Promise<Set<string>> {
    const rows = await runPrepared<{ id: string }>(executor, COMPLETE_ATTEMPTS, [
      JSON.stringify(
        results.map((r) => ({
          id: r.eventId,
          status: r.status,
          status_code: r.statusCode,
          response_body: storableText(r.responseBody),
          response_truncated: r.responseTruncated,
          error: storableText(r.error),
          duration_ms: r.durationMs,
          completed_at: r.completedAt,
          request_headers: r.requestHeaders,
          request_url: r.movedTo?.url ?? null,
          request_method: r.movedTo?.method ?? null,
          next_attempt_at: r.retry?.at ?? null,
        })),
      ),
      owner,
    ]);
    return new Set(rows.map((row) => row.id));
  }

  private async insertRetries(manager: EntityManager, results: AttemptResult[]): Promise<void> {
    await manager.query(
      `INSERT INTO "notifications"."events" (id, message_id, merchant, order_id, channel, notification_id, subscription_id, reference, scope, type, delivery,
                                             attempt, retry_of, trigger, status, created_at, next_attempt_at)
       SELECT v.id, e.message_id, e.merchant, e.order_id, e.channel, e.notification_id, e.subscription_id, e.reference, e.scope, e.type, e.delivery,
              e.attempt + 1, e.id, 'automatic', 'pending', v.created_at, v.next_attempt_at
       FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS v(id, retry_of, created_at, next_attempt_at)
       JOIN "notifications"."events" e ON e.id = v.retry_of
       ON CONFLICT (message_id, attempt) DO NOTHING`,
      [
        results.map((r) => r.retry?.eventId),
        results.map((r) => r.eventId),
        results.map((r) => r.completedAt),
        results.map((r) => r.retry?.at),
      ],
    );
  }

  private async disableTargets(manager: EntityManager, eventIds: string[]): Promise<void> {
    await manager.query(
      `INSERT INTO "notifications"."disabled_registrations" (merchant, notification_id, order_id, event_id, reason, disabled_at)
       SELECT merchant, notification_id, order_id, id, $2, now() FROM "notifications"."events" WHERE id = ANY($1::uuid[]) AND notification_id IS NOT NULL
       ON CONFLICT (merchant, notification_id) DO NOTHING`,
      [eventIds, TARGET_DISABLED_ERROR],
    );
    await manager.query(
      `UPDATE "notifications"."subscriptions" SET enabled = false, disabled_reason = $2, updated_at = now()
       WHERE id IN (SELECT subscription_id FROM "notifications"."events" WHERE id = ANY($1::uuid[]) AND subscription_id IS NOT NULL)`,
      [eventIds, TARGET_DISABLED_ERROR],
    );
  }

  /** Gives rows `owner` holds back without attempting them (open circuit, full queue, shutdown): pending, due again at `until`, for any instance. */
  private async defer(manager: EntityManager, deferrals: Deferral[], owner: string): Promise<void> {
    await manager.query(
      `UPDATE "notifications"."events" e SET next_attempt_at = v.until, lease_until = NULL, lease_owner = NULL
       FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, until)
       WHERE e.id = v.id AND e.status = 'pending' AND e.lease_owner = $3`,
      [deferrals.map((d) => d.eventId), deferrals.map((d) => d.until), owner],
    );
  }
}

/** NUL, and UTF-16 surrogates without their other half. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * PostgreSQL text cannot hold NUL, nor json a lone surrogate escape, and targets answer with any
 * bytes they like: one such body would fail the batch it is written in, again on every retry,
 * taking the other results with it.
 */
function storableText(text: string | null): string | null {
  return text === null ? null : text.replace(UNSTORABLE, '\uFFFD');
}

