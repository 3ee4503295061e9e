/**
 * Ordercast's own operational events, named as Svix names its operational webhooks
 * (`endpoint.disabled`, `message.attempt.failing` / `exhausted` / `recovered`):
 * - `endpoint.failing`: a merchant endpoint's circuit breaker opened;
 * - `endpoint.recovered`: it closed again, only after an `endpoint.failing` was sent;
 * - `endpoint.disabled`: a registration or subscription was disabled (the target answered 410 Gone);
 * - `delivery.dead`: a delivery's last automatic attempt failed.
 */
export const ALERT_TYPES = ['endpoint.failing', 'endpoint.recovered', 'endpoint.disabled', 'delivery.dead'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export function isAlertType(type: string): type is AlertType {
  return (ALERT_TYPES as readonly string[]).includes(type);
}

/** The endpoint an alert is about: its origin only (a path or query may carry credentials), and the target that used it. */
export interface AlertEndpoint {
  url: string | null;
  notificationId: string | null;
  subscriptionId: string | null;
}

/** The body of an alert delivery; `id` is the message id (the `webhook-id` header), as for order notifications. */
export interface AlertBody {
  id: string;
  type: AlertType;
  occurredAt: string;
  merchant: string;
  endpoint: AlertEndpoint;
  details: Record<string, string | number | null>;
}

/** When an alert of a type was last raised and last sent, per merchant endpoint (the `alert_states` table). */
export interface AlertState {
  lastSeenAt: Date;
  lastSentAt: Date | null;
}

/**
 * Whether an alert raised `now` is sent. `endpoint.recovered` is sent only when an
 * `endpoint.failing` was sent after the last `endpoint.recovered`, so a receiver never hears of a
 * recovery from a failure it was not told about; every other type at most once per `debounceMs`
 * per endpoint, so a thousand failed deliveries are one alert.
 */
export function shouldSend(
  type: AlertType,
  states: { own: AlertState | null; failing: AlertState | null },
  now: Date,
  debounceMs: number,
): boolean {
  const lastSent = states.own?.lastSentAt ?? null;
  if (type === 'endpoint.recovered') {
    const failingSent = states.failing?.lastSentAt ?? null;
    return failingSent !== null && (lastSent === null || lastSent < failingSent);
  }
  return lastSent === null || now.getTime() - lastSent.getTime() >= debounceMs;
}

/**
 * The origin of a target URL, lower-cased and without credentials (`https://erp.example.com:8443`);
 * `mailto:` for email targets; `kafka://brokers` for kafka destinations; null when there is no URL.
 */
export function endpointOrigin(url: string | null): string | null {
  if (url === null) return null;
  if (url.startsWith('mailto:')) return 'mailto:';
  // A kafka destination's breaker is its cluster: `kafka://brokers`, as the URL has no WHATWG origin.
  if (url.startsWith('kafka://')) return `kafka://${url.slice('kafka://'.length).split('/')[0].toLowerCase()}`;
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin.toLowerCase();
  } catch {
    return null;
  }
}
