import { aRegistration, anOrder, sealedOrder, testBox } from '../../test/fixtures/orders';
import { canonicalJson } from '../signing/detached-jws';
import { buildDeliveryBody, publicOrder } from './delivery-body';
import { registrationTarget } from './delivery-target';
import { deliveryCause, newDelivery } from './new-delivery';

const now = new Date('2025-01-01T11:00:00.000Z');

function fanOut(payloads: Array<'full' | 'metadata'>) {
  const registrations = payloads.map((payload, i) => aRegistration({ payload, reference: i === 0 ? null : `ref-${i}`, description: i === 0 ? null : 'Zoë’s ERP' }));
  const order = anOrder({ notifications: registrations, customer: { email: 'zoë@example.com' } });
  const cause = deliveryCause({
    changeId: 'change-1',
    type: 'order.state.changed',
    occurredAt: now.toISOString(),
    sequence: 7,
    merchant: order.merchant,
    channel: order.channel,
    orderId: order.id,
    orderReference: order.reference,
    change: { kind: 'state', from: 'checkout', to: 'completed' },
    order: publicOrder(sealedOrder(order), testBox),
  });
  return { cause, deliveries: registrations.map((registration) => newDelivery(cause, registrationTarget(registration), 'state.completed', 'automatic', now)) };
}

describe('newDelivery', () => {
  it('stores, for every delivery of one cause, the canonical JSON of the body it describes', () => {
    const { cause, deliveries } = fanOut(['full', 'metadata', 'full']);
    for (const delivery of deliveries) {
      const expected = buildDeliveryBody({
        messageId: delivery.messageId,
        type: cause.type,
        scope: 'state.completed',
        occurredAt: cause.occurredAt,
        sequence: cause.sequence,
        merchant: cause.merchant,
        channel: cause.channel,
        orderId: cause.orderId,
        notification: { id: delivery.target.id, reference: delivery.target.reference, description: delivery.target.description },
        change: cause.change,
        order: cause.order,
        payload: delivery.target.payload,
      });
      expect(delivery.body).toBe(canonicalJson(expected));
    }
    expect(deliveries.map((delivery) => 'order' in JSON.parse(delivery.body))).toEqual([true, false, true]);
  });

  it('gives each delivery its own message id in the body', () => {
    const { deliveries } = fanOut(['full', 'full']);
    expect(deliveries.map((delivery) => (JSON.parse(delivery.body) as { id: string }).id)).toEqual(deliveries.map((delivery) => delivery.messageId));
    expect(deliveries[0].messageId).not.toBe(deliveries[1].messageId);
  });
});
