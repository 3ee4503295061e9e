import { EVENT_ENVELOPE_BYTES, OrderBudget } from './order-budget';

describe('OrderBudget', () => {
  const budget = new OrderBudget(1_000_000);

  it('gives an order half of the message maximum less the envelope, so two snapshots and the envelope fit', () => {
    expect(budget.orderBytes).toBe((1_000_000 - EVENT_ENVELOPE_BYTES) / 2);
    expect(2 * budget.orderBytes + EVENT_ENVELOPE_BYTES).toBeLessThanOrEqual(1_000_000);
    expect(new OrderBudget(65_536).orderBytes).toBe(24_576);
  });

  it('accepts an order up to its budget, new or changed', () => {
    expect(budget.problem({ previousBytes: null, orderBytes: budget.orderBytes, eventBytes: budget.orderBytes + 500 })).toBeNull();
    expect(budget.problem({ previousBytes: 1000, orderBytes: budget.orderBytes, eventBytes: budget.orderBytes + 1500 })).toBeNull();
  });

  it('refuses an order one byte past its budget, naming the budget and the variable it comes from', () => {
    const problem = budget.problem({ previousBytes: 1000, orderBytes: budget.orderBytes + 1, eventBytes: budget.orderBytes + 1501 });
    expect(problem).toBe(
      `the order would take ${budget.orderBytes + 1} bytes; an order may take at most ${budget.orderBytes} bytes ` +
        '(its change events carry it twice and must fit KAFKA_MAX_MESSAGE_BYTES=1000000)',
    );
    expect(budget.problem({ previousBytes: null, orderBytes: 2_000_000, eventBytes: 2_000_500 })).toMatch(/at most 491808 bytes/);
  });

  it('refuses a growing change whose event would still not fit the bus', () => {
    expect(budget.problem({ previousBytes: 470_000, orderBytes: 480_000, eventBytes: 1_000_000 })).toBeNull();
    expect(budget.problem({ previousBytes: 470_000, orderBytes: 480_000, eventBytes: 1_000_001 })).toBe(
      'the change event would take 1000001 bytes; the event bus takes at most KAFKA_MAX_MESSAGE_BYTES=1000000',
    );
  });

  it('refuses channel notifications that alone would take an order past its budget', () => {
    expect(budget.channelProblem(budget.orderBytes)).toBeNull();
    expect(budget.channelProblem(budget.orderBytes + 1)).toMatch(/^the channel's notifications would take 491809 bytes of every order; an order may take at most 491808 bytes/);
  });

  it('never refuses a change that does not grow the order, so an order over its budget can shrink back', () => {
    expect(budget.problem({ previousBytes: 900_000, orderBytes: 800_000, eventBytes: 1_700_500 })).toBeNull();
    expect(budget.problem({ previousBytes: 900_000, orderBytes: 900_000, eventBytes: 1_800_500 })).toBeNull();
  });
});
