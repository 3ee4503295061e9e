import { Command } from '@nestjs/cqrs';
import type { AddPaymentDto } from '../dto/add-payment.dto';
import type { RegisteredPayment } from '../payment-lookup';

export class AddPaymentCommand extends Command<RegisteredPayment> {
  constructor(
    readonly merchant: string,
    readonly orderId: string,
    readonly request: AddPaymentDto,
  ) {
    super();
  }
}
