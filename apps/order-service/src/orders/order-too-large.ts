import { PayloadTooLargeException } from '@nestjs/common';
import type { OrderBudget } from './order-budget';

/** The 413 for a write past the order's byte budget: the problem in words, the budget in bytes. */
export function orderTooLarge(problem: string, budget: OrderBudget): PayloadTooLargeException {
  return new PayloadTooLargeException({ statusCode: 413, error: 'Payload Too Large', message: problem, limitBytes: budget.orderBytes });
}
