import { Command } from '@nestjs/cqrs';
import type { Order } from '@ordercast/contracts';
import type { CreateOrderDto } from '../dto/create-order.dto';

/** Resolves to the new order as the API shows it. */
export class CreateOrderCommand extends Command<Order> {
  constructor(
    readonly merchant: string,
    readonly channel: string,
    readonly request: CreateOrderDto,
  ) {
    super();
  }
}
