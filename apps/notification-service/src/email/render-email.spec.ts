import { aPayment, aRegistration, anOrder, aShipping, sealedOrder, testBox, withState } from '../../test/fixtures/orders';
import { buildDeliveryBody, publicOrder } from '../delivery/delivery-body';
import { renderEmail } from './render-email';

const registration = aRegistration({ reference: 'ops-mail', headers: { 'X-API-Key': 'secret-key' } });
const order = withState(anOrder({ id: 'order-1', reference: 'R-1001', notifications: [registration] }), 'completed');

function body(overrides: { scope?: string; type?: string; change?: unknown; order?: typeof order; payload?: 'full' | 'metadata' } = {}) {
  return buildDeliveryBody({
    messageId: '6f1c0a8e-4d43-4f5e-9a53-3c1d2b9f0e11',
    type: overrides.type ?? 'order.state.changed',
    scope: overrides.scope ?? 'state.completed',
    occurredAt: '2025-01-01T11:00:00.000Z',
    sequence: 4,
    merchant: 'acme',
    channel: 'web-se',
    orderId: 'order-1',
    notification: { id: registration.id, reference: registration.reference, description: null },
    change: 'change' in overrides ? overrides.change : { kind: 'state', from: 'accepted', to: 'completed' },
    order: publicOrder(sealedOrder(overrides.order ?? order), testBox),
    payload: overrides.payload ?? 'full',
  });
}

/** The value on the line labelled `label`. */
function field(text: string, label: string): string | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${label}:`));
  return line?.slice(label.length + 1).trim();
}

describe('renderEmail', () => {
  it('names the order and the scope in the subject', () => {
    expect(renderEmail(body()).subject).toBe('Order order-1: state.completed');
  });

  it('describes a state change: order, reference, channel, merchant, change, old → new state, time, total, message id', () => {
    const { text } = renderEmail(body());
    expect(text.split('\n')[0]).toBe('Order order-1 changed (state.completed).');
    expect(field(text, 'Order')).toBe('order-1');
    expect(field(text, 'Reference')).toBe('R-1001');
    expect(field(text, 'Channel')).toBe('web-se');
    expect(field(text, 'Merchant')).toBe('acme');
    expect(field(text, 'Event type')).toBe('order.state.changed');
    expect(field(text, 'Scope')).toBe('state.completed');
    expect(field(text, 'State')).toBe('accepted → completed');
    expect(field(text, 'Occurred at')).toBe('2025-01-01T11:00:00.000Z');
    expect(field(text, 'Cart total')).toBe('200 SEK');
    expect(field(text, 'Notification')).toBe('ops-mail');
    expect(field(text, 'Message id')).toBe('6f1c0a8e-4d43-4f5e-9a53-3c1d2b9f0e11');
  });

  it('describes a payment change with the payment, its old → new state and amount', () => {
    const payment = aPayment({ id: 'pay-1', name: 'Card', state: 'captured', amount: 199.5 });
    const { subject, text } = renderEmail(body({
      type: 'order.payment.changed', scope: 'payment.captured',
      change: { kind: 'payment', paymentId: 'pay-1', from: 'authorized', to: 'captured' },
      order: { ...order, payments: [payment] },
    }));
    expect(subject).toBe('Order order-1: payment.captured');
    expect(field(text, 'Payment')).toBe('Card (pay-1)');
    expect(field(text, 'Payment state')).toBe('authorized → captured');
    expect(field(text, 'Payment amount')).toBe('199.5 SEK');
    expect(field(text, 'Order state')).toBe('completed');
  });

  it('describes a new shipping as coming from nothing', () => {
    const shipping = aShipping({ id: 'ship-1', name: null, adapterId: 'postnord', state: 'processing' });
    const { text } = renderEmail(body({
      type: 'order.shipping.changed', scope: 'shipping.processing',
      change: { kind: 'shipping', shippingId: 'ship-1', from: null, to: 'processing' },
      order: { ...order, shippings: [shipping] },
    }));
    expect(field(text, 'Shipping')).toBe('postnord (ship-1)');
    expect(field(text, 'Shipping state')).toBe('(new) → processing');
  });

  it('describes a created order and a notifications change', () => {
    expect(field(renderEmail(body({ type: 'order.created', scope: '/state', change: { kind: 'created' } })).text, 'Change')).toBe('order created');
    const notifications = renderEmail(body({ type: 'order.notifications.changed', scope: '/notifications', change: { kind: 'notifications', added: ['a', 'b'], removed: [] } }));
    expect(field(notifications.text, 'Notifications')).toBe('2 added, 0 removed');
  });

  it('leaves out what a metadata payload does not carry, and says so', () => {
    const { text } = renderEmail(body({ payload: 'metadata' }));
    expect(field(text, 'Reference')).toBeUndefined();
    expect(field(text, 'Cart total')).toBeUndefined();
    expect(field(text, 'State')).toBe('accepted → completed');
    expect(text).toContain('metadata only');
  });

  it('shows the current state for a change it does not know (a manual send)', () => {
    const { text } = renderEmail(body({ type: 'order.notification.triggered', scope: 'manual', change: null }));
    expect(field(text, 'Order state')).toBe('completed');
    expect(field(text, 'State')).toBeUndefined();
  });

  it('never lets order data forge lines or headers', () => {
    const hostile = { ...order, reference: 'R-1\nMerchant: evil\r\nBcc: x@example.com' };
    const { subject, text } = renderEmail(body({ scope: '/customer/note\r\nBcc: x@example.com', order: hostile }));
    expect(subject).not.toMatch(/[\r\n]/);
    expect(text.split('\n').filter((line) => line.startsWith('Merchant:'))).toEqual(['Merchant:        acme']);
    expect(field(text, 'Reference')).toBe('R-1 Merchant: evil Bcc: x@example.com');
  });

  it('never shows registration header values (the body is already masked)', () => {
    expect(renderEmail(body()).text).not.toContain('secret-key');
  });
});

describe('renderEmail of an alert', () => {
  it('names the alert and the endpoint origin, with the details that are set', () => {
    const { subject, text } = renderEmail({
      id: 'msg-1', type: 'delivery.dead', occurredAt: '2026-01-01T10:00:00.000Z', merchant: 'alpha',
      endpoint: { url: 'https://erp.example.com', notificationId: 'n-1', subscriptionId: null },
      details: { eventId: 'e-1', orderId: 'o-1\nBcc: x@evil.example', statusCode: 500, error: null },
    });
    expect(subject).toBe('Ordercast alert: delivery.dead https://erp.example.com');
    expect(text).toContain('Endpoint:        https://erp.example.com');
    expect(text).toContain('Notification:    n-1');
    expect(text).toContain('statusCode:      500');
    expect(text).toContain('orderId:         o-1 Bcc: x@evil.example');
    expect(text).not.toContain('error:');
  });
});
