import type { OrderState } from '@ordercast/contracts';

/** Norce's order lifecycle: which states an order may move to from each state. */
const TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  checkout: ['processing', 'removed'],
  processing: ['checkout', 'accepted'],
  accepted: ['completed', 'declined'],
  completed: [],
  declined: [],
  removed: [],
};

export type TransitionResult =
  | { legal: true }
  | { legal: false; allowed: readonly OrderState[]; reason: string };

export function allowedTargets(from: OrderState): readonly OrderState[] {
  return TRANSITIONS[from];
}

/**
 * Whether an order may move from `from` to `to`. Setting the current state again is not a
 * transition and is refused like any other illegal move, so a repeated call cannot
 * publish a change that did not happen.
 */
export function transition(from: OrderState, to: OrderState): TransitionResult {
  const allowed = allowedTargets(from);
  if (allowed.includes(to)) return { legal: true };
  const options = allowed.length > 0 ? allowed.join(', ') : `none (${from} is final)`;
  return { legal: false, allowed, reason: `cannot move order from ${from} to ${to}; allowed: ${options}` };
}
