import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DeliveryKind, HttpMethod } from '@ordercast/contracts';
import { preparedStatement, runPrepared, TraceHeaders } from '@ordercast/platform';
import { DataSource, EntityManager } from 'typeorm';
import type { EventStatus, EventTrigger } from '../events/event-types';
import { TARGET_DISABLED_ERROR } from './attempt-verdict';

/** A pending webhook or email attempt this dispatcher holds a lease on, with what to send. */
export interface ClaimedAttempt {
  id: string;
  messageId: string;
  attempt: number;
  trigger: EventTrigger;
  delivery: DeliveryKind;
  url: string | null;
  /** The recipient of an email delivery. */
  email: string | null;
  method: HttpMethod;
  sealedHeaders: Record<string, string>;
  sealedSecret: string | null;
  body: string;
  /** The body is RFC 8785 canonical JSON (every message stored since the column was added). */
  bodyCanonical: boolean;
  /** Set when the registration or subscription was disabled after the row was created. */
  skipReason: string | null;
  /** The message's trace context: the attempt's span is its child. */
  traceContext: TraceHeaders | null;
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
  /** The automatic retry this failure schedules. */
  retry: { eventId: string; at: Date } | null;
  disableTarget: boolean;
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
     next_attempt_at = v.next_attempt_at, lease_until = NULL
   FROM json_to_recordset($1::json) AS v(id uuid, status text, status_code int, response_body text, response_truncated boolean, error text,
                                          duration_ms int, completed_at timestamptz, request_headers jsonb, next_attempt_at timestamptz)
   WHERE e.id = v.id AND e.status = 'pending'
   RETURNING e.id`,
);

// Poll deliveries are never pending: they are queued when created. The delivery condition matches events_due_idx.
const DUE = `status = 'pending' AND delivery IN ('webhook', 'email') AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())`;

/** The dispatch table operations: lease due rows, record results, hold rows back. */
@Injectable()
export class DispatchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Leases up to `limit` due rows, oldest due first; rows other dispatchers hold are skipped, not waited for. */
  claimDue(limit: number, leaseMs: number): Promise<ClaimedAttempt[]> {
    return this.claim(`SELECT id FROM "notifications"."events" WHERE ${DUE} ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED`, [leaseMs, limit]);
  }

  /** Leases the given rows if they are still due and free (rows just committed by the local ingest). */
  claimByIds(ids: string[], leaseMs: number): Promise<ClaimedAttempt[]> {
    return this.claim(`SELECT id FROM "notifications"."events" WHERE id = ANY($2::uuid[]) AND ${DUE} FOR UPDATE SKIP LOCKED`, [leaseMs, ids]);
  }

  /**
   * Writes a batch of results in one transaction: one UPDATE for every completion, one INSERT
   * for the retries they schedule, and the targets that answered 410 Gone. A row another
   * dispatcher completed in the meantime (expired lease) is left as it is, and so is its retry.
   * The usual batch, completions that schedule and disable nothing, is the UPDATE alone,
   * autocommitted: one round trip instead of three.
   */
  async record(results: AttemptResult[], deferrals: Deferral[]): Promise<void> {
    if (deferrals.length === 0 && results.every((result) => result.retry === null && !result.disableTarget)) {
      if (results.length > 0) await this.complete(this.dataSource, results);
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      const completed = results.length > 0 ? await this.complete(manager, results) : new Set<string>();
      const retries = results.filter((result) => result.retry !== null && completed.has(result.eventId));
      if (retries.length > 0) await this.insertRetries(manager, retries);
      const gone = results.filter((result) => result.disableTarget && completed.has(result.eventId)).map((result) => result.eventId);
      if (gone.length > 0) await this.disableTargets(manager, gone);
      if (deferrals.length > 0) await this.defer(manager, deferrals);
    });
  }

  private async claim(selectIds: string, params: unknown[]): Promise<ClaimedAttempt[]> {
    // Columns named as ClaimedAttempt's fields, so the rows are the attempts.
    return this.dataSource.query(
      `WITH claimed AS (
         UPDATE "notifications"."events" e SET lease_until = now() + $1::int * interval '1 millisecond'
         WHERE e.id IN (${selectIds})
         RETURNING e.id, e.message_id, e.merchant, e.notification_id, e.subscription_id, e.attempt, e.trigger, e.next_attempt_at
       )
       SELECT c.id, c.message_id AS "messageId", c.attempt, c.trigger, m.delivery, m.url, m.email, m.method, m.headers AS "sealedHeaders",
              m.secret AS "sealedSecret", m.body::text AS body, m.body_canonical AS "bodyCanonical", m.trace_context AS "traceContext",
              CASE WHEN d.notification_id IS NOT NULL THEN d.reason
                   WHEN s.enabled = false THEN coalesce(s.disabled_reason, 'subscription disabled') END AS "skipReason"
       FROM claimed c
       JOIN "notifications"."messages" m ON m.id = c.message_id
       LEFT JOIN "notifications"."disabled_registrations" d ON d.merchant = c.merchant AND d.notification_id = c.notification_id
       LEFT JOIN "notifications"."subscriptions" s ON s.id = c.subscription_id
       ORDER BY c.next_attempt_at`,
      params,
    );
  }

  private async complete(executor: DataSource | EntityManager, results: AttemptResult[]): Promise<Set<string>> {
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
          next_attempt_at: r.retry?.at ?? null,
        })),
      ),
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

  /** Gives rows back without attempting them (open circuit): pending, due again at `until`. */
  private async defer(manager: EntityManager, deferrals: Deferral[]): Promise<void> {
    await manager.query(
      `UPDATE "notifications"."events" e SET next_attempt_at = v.until, lease_until = NULL
       FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, until)
       WHERE e.id = v.id AND e.status = 'pending'`,
      [deferrals.map((d) => d.eventId), deferrals.map((d) => d.until)],
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

