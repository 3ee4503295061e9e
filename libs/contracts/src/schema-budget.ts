import canonicalize from 'canonicalize';
import type { Registration } from './registration';
import type { Watch } from './scope';
import { SCOPE_SCHEMA_LIMITS } from './scope-schema';

/**
 * Scope schemas one request may carry, in serialised bytes: as much as the largest single schema.
 * Each distinct schema is compiled (by Ajv, into JavaScript) at registration and again by matching,
 * about 8 ms per KiB here: forty 4.3 KB schemas in one order took 850 ms to accept, and eight such
 * requests at once held other merchants' requests up for 4-5 s (attack of 2026-12-02).
 */
export const MAX_SCHEMA_BYTES_PER_REQUEST = SCOPE_SCHEMA_LIMITS.maxBytes;
/**
 * Scope schemas one request may carry, however small: compiling one has a cost of its own (about 0.5 ms
 * here), so 1,240 distinct `{"const": n}` schemas in 16 KiB took 0.6-1.2 s (re-attack of 2026-12-02).
 * As many as one scope may have watches.
 */
export const MAX_SCHEMAS_PER_REQUEST = 64;

/**
 * What is wrong with the scope schemas a request body carries in all (their number and UTF-8 bytes), or null. Looked for where
 * registrations and subscriptions carry them: the body itself (a registration, a subscription, with
 * `schema` beside a pointer scope or in the watches of a `scope` list), the items of a body that is a
 * list (a channel's registrations), and those of its `notifications` (an order, payment or shipping
 * with registrations). Counted before anything is validated, so before any schema is compiled.
 */
export function schemaBudgetProblem(body: unknown): string | null {
  const targets = Array.isArray(body) ? body : isObject(body) ? [body, ...(Array.isArray(body.notifications) ? body.notifications : [])] : [];
  let bytes = 0;
  let count = 0;
  for (const target of targets) {
    if (!isObject(target)) continue;
    const watches = Array.isArray(target.scope) ? target.scope : [];
    for (const schema of [target.schema, ...watches.map((watch) => (isObject(watch) ? watch.schema : undefined))]) {
      if (schema === undefined) continue;
      count += 1;
      if (count > MAX_SCHEMAS_PER_REQUEST) return `a request may carry at most ${MAX_SCHEMAS_PER_REQUEST} scope schemas, all registrations and watches together`;
      bytes += Buffer.byteLength(JSON.stringify(schema) ?? '');
      if (bytes > MAX_SCHEMA_BYTES_PER_REQUEST) {
        return `scope schemas may take at most ${MAX_SCHEMA_BYTES_PER_REQUEST / 1024} KiB (UTF-8) in one request, all registrations and watches together`;
      }
    }
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Distinct scope schemas one order's registrations may carry in all, and their UTF-8 bytes: two requests'
 * worth (its own and its channel's, as created). notification-service compiles each distinct schema of an
 * order on its next change, inside ingest: 27 requests of 64 distinct schemas each (1,792 on one order) took
 * 4 s to compile on one state change, and another merchant's delivery waited as long (re-attack of 2026-12-02).
 */
export const MAX_ORDER_SCHEMAS = 2 * MAX_SCHEMAS_PER_REQUEST;
export const MAX_ORDER_SCHEMA_BYTES = 2 * MAX_SCHEMA_BYTES_PER_REQUEST;

/** What is wrong with the distinct scope schemas of an order's registrations (as stored: watches), or null. */
export function orderSchemaProblem(registrations: readonly Registration[]): string | null {
  return distinctSchemaProblem(registrations.map((registration) => registration.scope), { count: MAX_ORDER_SCHEMAS, bytes: MAX_ORDER_SCHEMA_BYTES }, "an order's notifications");
}

/**
 * Distinct scope schemas of one merchant's subscriptions in all, and their bytes: compiled on the first
 * change after they are made, inside ingest (30 subscriptions of 64 distinct schemas held another
 * merchant's delivery up 3.5 s; re-attack of 2026-12-02), and kept compiled while in use.
 */
export const MAX_MERCHANT_SUBSCRIPTION_SCHEMAS = 4 * MAX_SCHEMAS_PER_REQUEST;
export const MAX_MERCHANT_SUBSCRIPTION_SCHEMA_BYTES = 4 * MAX_SCHEMA_BYTES_PER_REQUEST;

/** What is wrong with the distinct scope schemas of a merchant's subscriptions (their scopes as stored), or null. */
export function subscriptionSchemaProblem(scopes: readonly (readonly Watch[])[]): string | null {
  return distinctSchemaProblem(scopes, { count: MAX_MERCHANT_SUBSCRIPTION_SCHEMAS, bytes: MAX_MERCHANT_SUBSCRIPTION_SCHEMA_BYTES }, "a merchant's subscriptions");
}

/**
 * `what` carries more distinct schemas, or more bytes of them, than `limits`; a schema repeated counts once,
 * compared canonically: stored ones come back from jsonb with their keys in another order than a new one's.
 */
function distinctSchemaProblem(scopes: readonly (readonly Watch[])[], limits: { count: number; bytes: number }, what: string): string | null {
  const distinct = new Set<string>();
  for (const scope of scopes) for (const watch of scope) if ('schema' in watch && watch.schema !== undefined) distinct.add(canonicalize(watch.schema) ?? '');
  if (distinct.size > limits.count) return `${what} may carry at most ${limits.count} distinct scope schemas; these would carry ${distinct.size}`;
  let bytes = 0;
  for (const text of distinct) bytes += Buffer.byteLength(text);
  if (bytes > limits.bytes) return `${what} may carry at most ${limits.bytes / 1024} KiB of distinct scope schemas; these would carry ${bytes} bytes`;
  return null;
}
