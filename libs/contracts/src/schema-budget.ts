import { SCOPE_SCHEMA_LIMITS } from './scope-schema';

/**
 * Scope schemas one request may carry, in serialised bytes: as much as the largest single schema.
 * Each distinct schema is compiled (by Ajv, into JavaScript) at registration and again by matching,
 * about 8 ms per KiB here: forty 4.3 KB schemas in one order took 850 ms to accept, and eight such
 * requests at once held other merchants' requests up for 4-5 s (attack of 2026-12-02).
 */
export const MAX_SCHEMA_BYTES_PER_REQUEST = SCOPE_SCHEMA_LIMITS.maxBytes;

/**
 * What is wrong with the scope schemas a request body carries in all, or null. Looked for where
 * registrations and subscriptions carry them: the body itself (a registration, a subscription, with
 * `schema` beside a pointer scope or in the watches of a `scope` list), the items of a body that is a
 * list (a channel's registrations), and those of its `notifications` (an order, payment or shipping
 * with registrations). Counted before anything is validated, so before any schema is compiled.
 */
export function schemaBudgetProblem(body: unknown): string | null {
  const targets = Array.isArray(body) ? body : isObject(body) ? [body, ...(Array.isArray(body.notifications) ? body.notifications : [])] : [];
  let bytes = 0;
  for (const target of targets) {
    if (!isObject(target)) continue;
    const watches = Array.isArray(target.scope) ? target.scope : [];
    for (const schema of [target.schema, ...watches.map((watch) => (isObject(watch) ? watch.schema : undefined))]) {
      if (schema === undefined) continue;
      bytes += JSON.stringify(schema)?.length ?? 0;
      if (bytes > MAX_SCHEMA_BYTES_PER_REQUEST) {
        return `scope schemas may take at most ${MAX_SCHEMA_BYTES_PER_REQUEST / 1024} KiB in one request, all registrations and watches together`;
      }
    }
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
