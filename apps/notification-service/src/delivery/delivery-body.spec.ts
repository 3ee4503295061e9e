import { MASK } from '@ordercast/platform';
import { aRegistration, anOrder } from '../../test/fixtures/orders';
import { buildDeliveryBody, publicOrder } from './delivery-body';

const registration = aRegistration({ headers: { 'X-API-Key': 'secret-key', 'X-Correlation-Id': 'c-1' }, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
const order = anOrder({ notifications: [registration] });
const input = {
  messageId: 'msg-1',
  type: 'order.state.changed',
  scope: 'state.completed',
  occurredAt: '2025-01-01T11:00:00.000Z',
  merchant: order.merchant,
  channel: order.channel,
  orderId: order.id,
  notification: { id: registration.id, reference: registration.reference, description: registration.description },
  change: { kind: 'state', from: 'accepted', to: 'completed' },
  order: publicOrder(order),
};

describe('delivery body', () => {
  it('has the fields of the design, in order, with the message id as id', () => {
    const body = buildDeliveryBody({ ...input, payload: 'full' });
    expect(Object.keys(body)).toEqual(['id', 'type', 'scope', 'occurredAt', 'merchant', 'channel', 'orderId', 'notification', 'change', 'order']);
    expect(body).toMatchObject({
      id: 'msg-1',
      type: 'order.state.changed',
      scope: 'state.completed',
      orderId: order.id,
      notification: { id: registration.id, reference: 'erp-export', description: 'Send completed orders to the ERP' },
      change: { kind: 'state', from: 'accepted', to: 'completed' },
    });
    expect(body.order?.cart).toEqual(order.cart);
  });

  it('leaves the order out for payload: metadata', () => {
    const body = buildDeliveryBody({ ...input, payload: 'metadata' });
    expect(body).not.toHaveProperty('order');
    expect(body.orderId).toBe(order.id);
  });

  it('masks registration headers and removes signing secrets from the order', () => {
    const sent = publicOrder(order).notifications[0];
    expect(sent.headers).toEqual({ 'X-API-Key': MASK, 'X-Correlation-Id': 'c-1' });
    expect(sent).not.toHaveProperty('secret');
    expect(JSON.stringify(buildDeliveryBody({ ...input, payload: 'full' }))).not.toMatch(/secret-key|whsec_/);
  });

  it('does not alter the order it was given', () => {
    publicOrder(order);
    expect(order.notifications[0].headers['X-API-Key']).toBe('secret-key');
    expect(order.notifications[0].secret).toBe('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
  });
});
