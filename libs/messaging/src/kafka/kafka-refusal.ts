/**
 * Broker answers that refuse the messages themselves, whatever the state of the cluster: sending them
 * again can never succeed. Refusals that concern the whole topic or client (authorization, an invalid
 * topic, a policy, a timestamp out of range from a skewed clock) stay transient on purpose: they would
 * refuse every message alike, and parking them all would empty the outbox into the parking lot.
 */
const REFUSALS_FOR_GOOD = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** The kafkajs error type of a refusal for good, looked up through the causes it may be wrapped in; or null. */
export function refusalOf(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth += 1) {
    const type = (current as Error & { type?: unknown }).type;
    if (typeof type === 'string' && REFUSALS_FOR_GOOD.has(type)) return type;
    current = current.cause ?? (current as Error & { originalError?: unknown }).originalError;
  }
  return null;
}
