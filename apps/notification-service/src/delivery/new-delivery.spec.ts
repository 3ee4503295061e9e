import type { Registration } from '@ordercast/contracts';
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

  it('takes its place in the sequence only for a change to an ordered webhook or email target', () => {
    const { cause } = fanOut(['full']);
    const target = (overrides: Partial<Registration>) => registrationTarget(aRegistration(overrides));
    expect(newDelivery(cause, target({ ordered: true }), 'state.completed', 'automatic', now).sequence).toBe(7);
    expect(newDelivery(cause, target({ ordered: true, delivery: 'email', email: 'erp@example.com' }), 'state.completed', 'automatic', now).sequence).toBe(7);
    expect(newDelivery(cause, target({ ordered: false }), 'state.completed', 'automatic', now).sequence).toBeNull();
    expect(newDelivery(cause, target({}), 'state.completed', 'automatic', now).sequence).toBeNull();
    expect(newDelivery(cause, target({ ordered: true, delivery: 'poll' }), 'state.completed', 'automatic', now).sequence).toBeNull();
    const manual = deliveryCause({ ...cause, changeId: null });
    expect(newDelivery(manual, target({ ordered: true }), 'manual', 'manual', now).sequence).toBeNull();
  });

  it('keeps the body canonical when `after` is put in front of it, as the stored body of a later ordered message is', () => {
    const { deliveries } = fanOut(['full', 'metadata']);
    for (const delivery of deliveries) {
      const after = '0b6c3a52-5d4e-4a8f-9d7e-1f2a3b4c5d6e';
      expect(`{"after":"${after}",${delivery.body.slice(1)}`).toBe(canonicalJson({ ...(JSON.parse(delivery.body) as object), after }));
    }
  });
});
