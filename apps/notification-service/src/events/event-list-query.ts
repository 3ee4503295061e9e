import { EVENT_COLUMNS, EVENT_SOURCES } from './event-record';
import type { EventStatus } from './event-types';

export interface EventFilter {
  orderId?: string;
  /** `state` matches every `state.*` label; `state.completed` (or a pointer) matches exactly. */
  scope?: string;
  status?: EventStatus;
  notificationId?: string;
  subscriptionId?: string;
  reference?: string;
  channel?: string;
  from?: Date;
  to?: Date;
}

export interface Page {
  limit: number;
  offset: number;
}

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

/**
 * The events list as SQL: every condition starts with the merchant, so each filter is served
 * by one of the (merchant, ..., created_at DESC) indexes and newest-first needs no full sort.
 */
export function eventListQuery(merchant: string, filter: EventFilter, page: Page): { list: SqlQuery; count: SqlQuery } {
  const params: unknown[] = [merchant];
  const conditions = ['e.merchant = $1'];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (filter.orderId !== undefined) add((p) => `e.order_id = ${p}`, filter.orderId);
  if (filter.scope !== undefined) {
    if (isScopeFamily(filter.scope)) {
      params.push(filter.scope, `${escapeLike(filter.scope)}.%`);
      conditions.push(`(e.scope = $${params.length - 1} OR e.scope LIKE $${params.length})`);
    } else {
      add((p) => `e.scope = ${p}`, filter.scope);
    }
  }
  if (filter.status !== undefined) add((p) => `e.status = ${p}`, filter.status);
  if (filter.notificationId !== undefined) add((p) => `e.notification_id = ${p}`, filter.notificationId);
  if (filter.subscriptionId !== undefined) add((p) => `e.subscription_id = ${p}`, filter.subscriptionId);
  if (filter.reference !== undefined) add((p) => `e.reference = ${p}`, filter.reference);
  if (filter.channel !== undefined) add((p) => `e.channel = ${p}`, filter.channel);
  if (filter.from !== undefined) add((p) => `e.created_at >= ${p}`, filter.from);
  if (filter.to !== undefined) add((p) => `e.created_at <= ${p}`, filter.to);
  const where = conditions.join(' AND ');
  return {
    list: {
      sql: `SELECT ${EVENT_COLUMNS} FROM ${EVENT_SOURCES}
            WHERE ${where} ORDER BY e.created_at DESC, e.id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      params: [...params, page.limit, page.offset],
    },
    count: { sql: `SELECT count(*)::int AS total FROM "notifications"."events" e WHERE ${where}`, params },
  };
}

/** A bare word such as `state` or `payment` names the family of labels `state.*`. */
function isScopeFamily(scope: string): boolean {
  return !scope.includes('.') && !scope.startsWith('/');
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}
