import { Command } from '@nestjs/cqrs';
import type { Order, OrderState } from '@ordercast/contracts';

/** Resolves to the order in its new state as the API shows it. */
export class ChangeOrderStateCommand extends Command<Order> {
  constructor(
    readonly merchant: string,
    readonly orderId: string,
    readonly target: OrderState,
  ) {
    super();
  }
}
