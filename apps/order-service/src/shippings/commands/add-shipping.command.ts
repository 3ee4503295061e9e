import { Command } from '@nestjs/cqrs';
import type { AddShippingDto } from '../dto/add-shipping.dto';
import type { RegisteredShipping } from '../shipping-lookup';

export class AddShippingCommand extends Command<RegisteredShipping> {
  constructor(
    readonly merchant: string,
    readonly orderId: string,
    readonly request: AddShippingDto,
  ) {
    super();
  }
}
