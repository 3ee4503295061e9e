import type { OrderChangeEvent } from '@ordercast/contracts';
import { serializeChangeEvent } from './order-store';

describe('serializeChangeEvent', () => {
  it('gives the bytes JSON.stringify gives, with the order spliced in from its JSON', () => {
    const order = { id: 'o-1', merchant: 'shop', channel: 'web', reference: 'ä "quoted" \\ \u2028', state: { currentStatus: 'processing' }, notifications: [] };
    const event = {
      id: 'e-1', type: 'order.state.changed', occurredAt: '2026-12-01T00:00:00.000Z', sequence: 2, merchant: 'shop', channel: 'web', orderId: 'o-1',
      change: { kind: 'state', from: 'checkout', to: 'processing' }, previous: { ...order, notifications: undefined, state: { currentStatus: 'checkout' } }, order,
    } as unknown as OrderChangeEvent;
    expect(serializeChangeEvent(event, JSON.stringify(order))).toBe(JSON.stringify(event));
    expect(serializeChangeEvent({ ...event, previous: null }, JSON.stringify(order))).toBe(JSON.stringify({ ...event, previous: null }));
  });
});
