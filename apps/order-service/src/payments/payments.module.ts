import { Module } from '@nestjs/common';
import { RegistrationsModule } from '../notifications/registrations.module';
import { OrdersModule } from '../orders/orders.module';
import { PAYMENT_COMMAND_HANDLERS } from './commands';
import { PaymentsController } from './payments.controller';

@Module({
  imports: [OrdersModule, RegistrationsModule],
  controllers: [PaymentsController],
  providers: [...PAYMENT_COMMAND_HANDLERS],
})
export class PaymentsModule {}
