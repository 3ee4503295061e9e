import { parseOrderChangeEvent } from './change-event';

const event = {
  id: 'c-1', type: 'order.state.changed', occurredAt: '2025-01-01T11:00:00.000Z', sequence: 3, merchant: 'alpha', channel: 'web', orderId: 'o-1',
  change: { kind: 'state', from: 'checkout', to: 'processing' }, previous: {}, order: {},
};

describe('parseOrderChangeEvent', () => {
  it('reads an event with its sequence', () => {
    expect(parseOrderChangeEvent(JSON.stringify(event)).sequence).toBe(3);
  });

  it.each([
    ['missing', undefined],
    ['zero', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['a string', '3'],
    ['beyond safe integers', 2 ** 53],
  ])('refuses an event whose sequence is %s', (_name, sequence) => {
    expect(() => parseOrderChangeEvent(JSON.stringify({ ...event, sequence }))).toThrow(/sequence/);
  });
});
