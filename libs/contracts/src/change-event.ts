import type { Order } from './order';

export const CHANGE_TYPES = [
  'order.created',
  'order.state.changed',
  'order.payment.changed',
  'order.shipping.changed',
  'order.notifications.changed',
] as const;
export type ChangeType = (typeof CHANGE_TYPES)[number];

/** What a change touched, in the domain's words; the snapshots carry the full picture. */
export type Change =
  | { kind: 'created' }
  | { kind: 'state'; from: string; to: string }
  | { kind: 'payment'; paymentId: string; from: string | null; to: string }
  | { kind: 'shipping'; shippingId: string; from: string | null; to: string }
  | { kind: 'notifications'; added: string[]; removed: string[] };

/**
 * The order before a change, as far as matching needs it: without its registrations, which
 * scopes cannot watch (see `scopeErrors`) and which `order` carries anyway.
 */
export type PreviousOrder = Omit<Order, 'notifications'>;

/**
 * The value published on `checkout.order-events.v1`. Self-contained: matching is a pure
 * function of it, so a redelivered message gives the same result. Registration header values
 * and secrets in `order.notifications` are sealed with the services' shared `ENCRYPTION_KEY`.
 */
export interface OrderChangeEvent {
  id: string;
  type: ChangeType;
  occurredAt: string;
  /**
   * The order's version after this change: 1 when created, one more with every change of any kind
   * (state, payment, shipping, notifications). Strictly increasing per order, so a receiver that
   * keeps the highest it has seen can drop anything older, whatever order deliveries arrive in.
   */
  sequence: number;
  merchant: string;
  channel: string;
  orderId: string;
  change: Change;
  previous: PreviousOrder | null;
  order: Order;
}

export function parseOrderChangeEvent(raw: string | Buffer): OrderChangeEvent {
  const value: unknown = JSON.parse(raw.toString());
  if (!isRecord(value)) throw new Error('change event is not a JSON object');
  for (const field of ['id', 'type', 'occurredAt', 'merchant', 'channel', 'orderId'] as const) {
    if (typeof value[field] !== 'string') throw new Error(`change event field "${field}" must be a string`);
  }
  if (!(CHANGE_TYPES as readonly unknown[]).includes(value.type)) throw new Error(`unknown change event type "${String(value.type)}"`);
  if (!Number.isSafeInteger(value.sequence) || (value.sequence as number) < 1) throw new Error('change event field "sequence" must be a positive integer');
  if (!isRecord(value.order)) throw new Error('change event field "order" must be an object');
  if (value.previous !== null && !isRecord(value.previous)) throw new Error('change event field "previous" must be an object or null');
  if (!isRecord(value.change)) throw new Error('change event field "change" must be an object');
  return value as unknown as OrderChangeEvent;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
