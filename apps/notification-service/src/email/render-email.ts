import type { Change, Payment, Shipping } from '@ordercast/contracts';
import { AlertBody, isAlertType } from '../alerts/alert';
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
export function renderEmail(body: DeliveryBody | AlertBody): RenderedEmail {
  if (isAlertBody(body)) return renderAlertEmail(body);
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
  const table = tableLines(rows);
  const footer = order ? [] : ['', 'This notification carries metadata only; fetch the order for its details.'];
  return {
    subject: subjectLine(`Order ${body.orderId}: ${body.scope}`),
    text: [`Order ${clean(body.orderId)} changed (${clean(body.scope)}).`, '', ...table, ...footer, ''].join('\n'),
  };
}

function isAlertBody(body: DeliveryBody | AlertBody): body is AlertBody {
  return isAlertType(body.type);
}

/** An operational alert for a person: what happened to which endpoint, and the attempt that showed it. */
function renderAlertEmail(body: AlertBody): RenderedEmail {
  const target = body.endpoint.notificationId ?? body.endpoint.subscriptionId ?? '-';
  const rows: Array<[string, string]> = [
    ['Alert', body.type],
    ['Endpoint', body.endpoint.url ?? '-'],
    ['Notification', target],
    ['Merchant', body.merchant],
    ['Occurred at', body.occurredAt],
    ...Object.entries(body.details).filter(([, value]) => value !== null).map(([name, value]) => [name, String(value)] as [string, string]),
    ['Message id', body.id],
  ];
  return { subject: subjectLine(`Ordercast alert: ${body.type} ${body.endpoint.url ?? ''}`), text: [`Ordercast alert: ${clean(body.type)}.`, '', ...tableLines(rows), ''].join('\n') };
}

function tableLines(rows: Array<[string, string]>): string[] {
  return rows.map(([label, value]) => `${`${label}:`.padEnd(LABEL_WIDTH)}${clean(value)}`);
}

function subjectLine(text: string): string {
  const subject = clean(text);
  return subject.length > SUBJECT_MAX ? `${subject.slice(0, SUBJECT_MAX - 1)}…` : subject;
}
