import { Command } from '@nestjs/cqrs';
import type { Payment } from '@ordercast/contracts';
import type { UpdatePaymentDto } from '../dto/update-payment.dto';

export class UpdatePaymentCommand extends Command<Payment> {
  constructor(
    readonly merchant: string,
    readonly orderId: string,
    readonly paymentId: string,
    readonly request: UpdatePaymentDto,
  ) {
    super();
  }
}
