// Pure functions over Event records: no DOM, no fetch.

const byTime = (a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || a.attempt - b.attempt;

/**
 * Every attempt of the delivery `event` belongs to: the same message id (webhook-id), and
 * retries linked through `retryOf` in case a manual retry was given a message id of its own.
 * Oldest first.
 */
export function chainOf(event, events) {
  const known = new Map(events.map((candidate) => [candidate.id, candidate]));
  known.set(event.id, event);
  const members = new Map([[event.id, event]]);
  const linked = (candidate) =>
    (candidate.messageId && [...members.values()].some((member) => member.messageId === candidate.messageId))
    || members.has(candidate.retryOf)
    || [...members.values()].some((member) => member.retryOf === candidate.id);
  for (let grew = true; grew;) {
    grew = false;
    for (const candidate of known.values()) {
      if (!members.has(candidate.id) && linked(candidate)) {
        members.set(candidate.id, candidate);
        grew = true;
      }
    }
  }
  return [...members.values()].sort(byTime);
}

/**
 * The notifications an order's events went to, newest activity first. Order-service owns
 * the registrations; what notification-service knows of them is what it delivered.
 */
export function notificationsOf(events) {
  const groups = new Map();
  for (const event of [...events].sort(byTime)) {
    const key = event.notificationId ? `n:${event.notificationId}` : `s:${event.subscriptionId ?? 'unknown'}`;
    const group = groups.get(key) ?? {
      notificationId: event.notificationId ?? null,
      subscriptionId: event.notificationId ? null : event.subscriptionId ?? null,
      reference: null,
      scopes: new Set(),
      count: 0,
      latest: event,
    };
    group.reference = event.reference ?? group.reference;
    group.scopes.add(event.scope);
    group.count += 1;
    group.latest = event;
    groups.set(key, group);
  }
  return [...groups.values()]
    .map((group) => ({ ...group, scopes: [...group.scopes].filter(Boolean), url: group.latest.request?.url ?? null }))
    .sort((a, b) => byTime(b.latest, a.latest));
}

function compact(value, max = 80) {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A subscription's scope in a line: `state: completed; payment` or the watch pointers. */
export function describeScope(scope) {
  if (scope === null || scope === undefined) return '—';
  if (Array.isArray(scope)) return compact(scope.map((watch) => watch?.pointer ?? watch?.path ?? watch).map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(', '));
  if (typeof scope === 'object') {
    return compact(Object.entries(scope).map(([name, value]) => (value === true ? name : `${name}: ${Array.isArray(value) ? value.join(', ') : compact(value, 30)}`)).join('; '));
  }
  return compact(scope);
}

export function describeDelivery(delivery) {
  if (!delivery) return '—';
  if (typeof delivery === 'string') return delivery;
  const kind = delivery.kind ?? delivery.type ?? delivery.delivery ?? 'webhook';
  const target = delivery.url ?? delivery.invoke ?? delivery.email ?? '';
  return compact(`${kind}${target ? ` → ${target}` : ''}`);
}
