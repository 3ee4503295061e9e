import type { Change, Payment, Shipping } from '@ordercast/contracts';
import type { DeliveryBody, PublicOrder } from '../delivery/delivery-body';

export interface RenderedEmail {
  subject: string;
  text: string;
}

const SUBJECT_MAX = 200;
/** Values line up in one column whatever the change (the longest label is "Payment amount:"). */
const LABEL_WIDTH = 17;
const CHANGE_KINDS = new Set(['created', 'state', 'payment', 'shipping', 'notifications']);

/** Order data is client input: a line break in it must not be able to forge a line of the email. */
function clean(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function isChange(value: unknown): value is Change {
  return typeof value === 'object' && value !== null && CHANGE_KINDS.has((value as { kind?: unknown }).kind as string);
}

function money(amount: number | null, currency: string | undefined): string {
  return amount === null ? '-' : `${amount}${currency ? ` ${currency}` : ''}`;
}

function describeItem(item: Payment | Shipping | undefined, id: string): string {
  if (!item) return id;
  return `${item.name ?? item.adapterId} (${id})`;
}

function changeLines(change: unknown, order: PublicOrder | undefined): Array<[string, string]> {
  const currentState: Array<[string, string]> = order ? [['Order state', order.state.currentStatus]] : [];
  if (!isChange(change)) return currentState;
  switch (change.kind) {
    case 'created':
      return [['Change', 'order created'], ...currentState];
    case 'state':
      return [['State', `${change.from} → ${change.to}`]];
    case 'payment': {
      const payment = order?.payments.find((item) => item.id === change.paymentId);
      return [
        ['Payment', describeItem(payment, change.paymentId)],
        ['Payment state', `${change.from ?? '(new)'} → ${change.to}`],
        ...(payment ? [['Payment amount', money(payment.amount, payment.currency)] as [string, string]] : []),
        ...currentState,
      ];
    }
    case 'shipping': {
      const shipping = order?.shippings.find((item) => item.id === change.shippingId);
      return [
        ['Shipping', describeItem(shipping, change.shippingId)],
        ['Shipping state', `${change.from ?? '(new)'} → ${change.to}`],
        ...currentState,
      ];
    }
    case 'notifications':
      return [['Notifications', `${change.added.length} added, ${change.removed.length} removed`], ...currentState];
  }
}

/**
 * The plain-text email of a delivery (Verifone's "email with plain text describing the event"):
 * the same facts as the webhook body, for a person. A metadata payload has no order snapshot,
 * so reference, states and total are left out rather than guessed.
 */
export function renderEmail(body: DeliveryBody): RenderedEmail {
  const order = body.order;
  const rows: Array<[string, string]> = [
    ['Order', body.orderId],
    ...(order ? [['Reference', order.reference ?? '-'] as [string, string]] : []),
    ['Channel', body.channel],
    ['Merchant', body.merchant],
    ['Event type', body.type],
    ['Scope', body.scope],
    ...changeLines(body.change, order),
    ['Occurred at', body.occurredAt],
    ...(order ? [['Cart total', money(order.cart.total, order.currency)] as [string, string]] : []),
    ['Notification', body.notification.reference ?? body.notification.id],
    ['Message id', body.id],
  ];
  const table = rows.map(([label, value]) => `${`${label}:`.padEnd(LABEL_WIDTH)}${clean(value)}`);
  const footer = order ? [] : ['', 'This notification carries metadata only; fetch the order for its details.'];
  const subject = clean(`Order ${body.orderId}: ${body.scope}`);
  return {
    subject: subject.length > SUBJECT_MAX ? `${subject.slice(0, SUBJECT_MAX - 1)}…` : subject,
    text: [`Order ${clean(body.orderId)} changed (${clean(body.scope)}).`, '', ...table, ...footer, ''].join('\n'),
  };
}
