import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ALERT_TYPES } from './alert';

/** Completed attempts read per request at most, newest first: the window is bounded in rows as well as in time. */
export const MAX_HEALTH_ATTEMPTS = 50_000;
/** Alert deliveries listed at most. */
const RECENT_ALERTS = 20;

export interface EndpointHealth {
  /** The target origin (scheme, host, port; no credentials, path or query), or `mailto:` for email. */
  url: string;
  attempts: number;
  succeeded: number;
  /** Failed and dead attempts. */
  failed: number;
  dead: number;
  /** succeeded / attempts, 0 to 1. */
  successRate: number;
  lastSuccessAt: string | null;
  lastFailure: { at: string; eventId: string; statusCode: number | null; error: string | null } | null;
  /**
   * `open` from an `endpoint.failing` until an `endpoint.recovered` was raised (sent or debounced):
   * as the instances' breakers last reported it, since each instance keeps its own.
   */
  breaker: 'open' | 'closed';
  breakerChangedAt: string | null;
}

export interface SentAlert {
  eventId: string;
  messageId: string;
  type: string;
  subscriptionId: string | null;
  status: string;
  createdAt: string;
}

export interface EndpointHealthReport {
  window: { from: string; to: string; minutes: number; truncated: boolean };
  data: EndpointHealth[];
  alerts: SentAlert[];
}

/** scheme://host[:port] of a stored URL, credentials (sealed or not) cut out; matches endpointOrigin in alert.ts. */
const ORIGIN = `lower(regexp_replace(m.url, '^([a-z][a-z0-9+.-]*://)([^@/?#]*@)?([^/?#]*).*$', '\\1\\3', 'i'))`;

/**
 * Per endpoint figures of one merchant over a recent window, from the Events table: the newest
 * completed attempts (through events_merchant_created_idx, at most {@link MAX_HEALTH_ATTEMPTS}),
 * grouped by target origin, with the breaker state from the alert states and the latest alerts.
 */
@Injectable()
export class EndpointHealthQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async report(merchant: string, windowMinutes: number): Promise<EndpointHealthReport> {
    // One after the other: a request's queries share its one transaction (and connection).
    const rows = await this.dataSource.query<Array<EndpointHealthRow>>(HEALTH, [merchant, windowMinutes, MAX_HEALTH_ATTEMPTS]);
    const alerts = await this.dataSource.query<Array<SentAlertRow>>(
      `SELECT id, message_id, scope, subscription_id, status, created_at FROM "notifications"."events"
       WHERE merchant = $1 AND scope = ANY($2::text[]) AND attempt = 1 ORDER BY created_at DESC LIMIT $3`,
      [merchant, ALERT_TYPES, RECENT_ALERTS],
    );
    const [{ now }] = await this.dataSource.query<Array<{ now: Date }>>(`SELECT now()`);
    return {
      window: {
        from: new Date(now.getTime() - windowMinutes * 60_000).toISOString(), to: now.toISOString(), minutes: windowMinutes,
        truncated: rows.reduce((sum, row) => sum + row.attempts, 0) >= MAX_HEALTH_ATTEMPTS,
      },
      data: rows.map(toHealth),
      alerts: alerts.map((row) => ({
        eventId: row.id, messageId: row.message_id, type: row.scope, subscriptionId: row.subscription_id, status: row.status, createdAt: row.created_at.toISOString(),
      })),
    };
  }
}

interface EndpointHealthRow {
  url: string;
  attempts: number;
  succeeded: number;
  failed: number;
  dead: number;
  last_success_at: Date | null;
  last_failure: { at: string; eventId: string; statusCode: number | null; error: string | null } | null;
  failing_at: Date | null;
  recovered_at: Date | null;
}

interface SentAlertRow {
  id: string;
  message_id: string;
  scope: string;
  subscription_id: string | null;
  status: string;
  created_at: Date;
}

/** $1 merchant, $2 window in minutes, $3 attempts read at most. */
const HEALTH = `
  WITH recent AS (
    SELECT e.id, e.status, e.status_code, e.error, e.completed_at, CASE WHEN e.delivery = 'email' THEN 'mailto:' ELSE ${ORIGIN} END AS url
    FROM "notifications"."events" e JOIN "notifications"."messages" m ON m.id = e.message_id
    WHERE e.merchant = $1 AND e.created_at >= now() - $2::int * interval '1 minute'
      AND e.delivery IN ('webhook', 'email') AND e.status <> 'pending'
    ORDER BY e.created_at DESC
    LIMIT $3
  ), figures AS (
    SELECT url, count(*)::int AS attempts,
           count(*) FILTER (WHERE status = 'succeeded')::int AS succeeded,
           count(*) FILTER (WHERE status IN ('failed', 'dead'))::int AS failed,
           count(*) FILTER (WHERE status = 'dead')::int AS dead,
           max(completed_at) FILTER (WHERE status = 'succeeded') AS last_success_at,
           (array_agg(json_build_object('at', completed_at, 'eventId', id, 'statusCode', status_code, 'error', left(error, 500))
                      ORDER BY completed_at DESC) FILTER (WHERE status IN ('failed', 'dead')))[1] AS last_failure
    FROM recent WHERE url IS NOT NULL GROUP BY url
  )
  SELECT f.*, failing.last_seen_at AS failing_at, recovered.last_seen_at AS recovered_at
  FROM figures f
  LEFT JOIN "notifications"."alert_states" failing ON failing.merchant = $1 AND failing.endpoint = f.url AND failing.type = 'endpoint.failing'
  LEFT JOIN "notifications"."alert_states" recovered ON recovered.merchant = $1 AND recovered.endpoint = f.url AND recovered.type = 'endpoint.recovered'
  ORDER BY f.url`;

function toHealth(row: EndpointHealthRow): EndpointHealth {
  const open = row.failing_at !== null && (row.recovered_at === null || row.recovered_at < row.failing_at);
  const changedAt = open ? row.failing_at : row.recovered_at;
  return {
    url: row.url,
    attempts: row.attempts,
    succeeded: row.succeeded,
    failed: row.failed,
    dead: row.dead,
    successRate: row.attempts === 0 ? 0 : row.succeeded / row.attempts,
    lastSuccessAt: row.last_success_at?.toISOString() ?? null,
    lastFailure: row.last_failure === null ? null : { ...row.last_failure, at: new Date(row.last_failure.at).toISOString() },
    breaker: open ? 'open' : 'closed',
    breakerChangedAt: changedAt?.toISOString() ?? null,
  };
}
