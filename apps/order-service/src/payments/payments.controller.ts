import { Body, Controller, Param, Patch, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Payment } from '@ordercast/contracts';
import { Autocommit, Idempotent, Merchant, ParseIdPipe } from '@ordercast/platform';
import { ApiMerchantRoute, ApiOrderBudget, ApiPublishRate, ApiUnknownId } from '../common/api-docs';
import { AddPaymentCommand } from './commands/add-payment.command';
import { UpdatePaymentCommand } from './commands/update-payment.command';
import { AddPaymentDto } from './dto/add-payment.dto';
import { PaymentResponse, RegisteredPaymentResponse } from './dto/payment.response';
import { UpdatePaymentDto } from './dto/update-payment.dto';
import type { RegisteredPayment } from './payment-lookup';

@ApiTags('payments')
@ApiMerchantRoute()
@ApiUnknownId('order or payment')
@Controller('api/v0/checkout/orders/:id/payments')
export class PaymentsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiPublishRate()
  @Autocommit()
  @Idempotent()
  @ApiOrderBudget()
  @ApiOperation({ summary: 'Add a payment, optionally registering notifications with it (in the same change)' })
  @ApiCreatedResponse({ description: 'The payment, with the notifications registered along with it (masked)', type: RegisteredPaymentResponse })
  add(
    @Merchant() merchant: string,
    @Param('id', new ParseIdPipe('order')) orderId: string,
    @Body() request: AddPaymentDto,
  ): Promise<RegisteredPayment> {
    return this.commands.execute(new AddPaymentCommand(merchant, orderId, request));
  }

  @Patch(':paymentId')
  @ApiPublishRate()
  @Autocommit()
  @Idempotent()
  @ApiOrderBudget()
  @ApiOperation({ summary: "Update a payment's state or amount; a request that changes nothing publishes nothing" })
  @ApiOkResponse({ description: 'The payment', type: PaymentResponse })
  update(
    @Merchant() merchant: string,
    @Param('id', new ParseIdPipe('order')) orderId: string,
    @Param('paymentId', new ParseIdPipe('payment')) paymentId: string,
    @Body() request: UpdatePaymentDto,
  ): Promise<Payment> {
    return this.commands.execute(new UpdatePaymentCommand(merchant, orderId, paymentId, request));
  }
}
