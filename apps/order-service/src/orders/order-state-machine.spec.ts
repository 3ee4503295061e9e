import { ORDER_STATES, OrderState } from '@ordercast/contracts';
import { allowedTargets, transition } from './order-state-machine';

/** Every pair of states, read as "from (row) → to (column)". */
const TABLE: Record<OrderState, Record<OrderState, boolean>> = {
  checkout:   { checkout: false, processing: true,  accepted: false, completed: false, declined: false, removed: true },
  processing: { checkout: true,  processing: false, accepted: true,  completed: false, declined: false, removed: false },
  accepted:   { checkout: false, processing: false, accepted: false, completed: true,  declined: true,  removed: false },
  completed:  { checkout: false, processing: false, accepted: false, completed: false, declined: false, removed: false },
  declined:   { checkout: false, processing: false, accepted: false, completed: false, declined: false, removed: false },
  removed:    { checkout: false, processing: false, accepted: false, completed: false, declined: false, removed: false },
};

const pairs = ORDER_STATES.flatMap((from) => ORDER_STATES.map((to) => [from, to, TABLE[from][to]] as const));

describe('order state machine', () => {
  it('covers all 36 pairs of states', () => {
    expect(pairs).toHaveLength(36);
  });

  it.each(pairs)('%s → %s is legal: %s', (from, to, legal) => {
    expect(transition(from, to).legal).toBe(legal);
  });

  it.each(ORDER_STATES.map((from) => [from]))('allowedTargets(%s) lists exactly the legal targets', (from) => {
    expect([...allowedTargets(from)].sort()).toEqual(ORDER_STATES.filter((to) => TABLE[from][to]).sort());
  });

  it('explains an illegal move with the allowed targets', () => {
    expect(transition('checkout', 'completed')).toEqual({
      legal: false,
      allowed: ['processing', 'removed'],
      reason: 'cannot move order from checkout to completed; allowed: processing, removed',
    });
  });

  it('says when the current state is final', () => {
    expect(transition('completed', 'checkout')).toEqual({
      legal: false,
      allowed: [],
      reason: 'cannot move order from completed to checkout; allowed: none (completed is final)',
    });
  });

  it('refuses setting the current state again', () => {
    expect(transition('processing', 'processing')).toMatchObject({ legal: false, allowed: ['checkout', 'accepted'] });
  });
});
