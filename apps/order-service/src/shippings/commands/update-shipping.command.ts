import { Command } from '@nestjs/cqrs';
import type { Shipping } from '@ordercast/contracts';
import type { UpdateShippingDto } from '../dto/update-shipping.dto';

export class UpdateShippingCommand extends Command<Shipping> {
  constructor(
    readonly merchant: string,
    readonly orderId: string,
    readonly shippingId: string,
    readonly request: UpdateShippingDto,
  ) {
    super();
  }
}
