import { Module } from '@nestjs/common';
import { RegistrationsModule } from '../notifications/registrations.module';
import { OrdersModule } from '../orders/orders.module';
import { SHIPPING_COMMAND_HANDLERS } from './commands';
import { ShippingsController } from './shippings.controller';

@Module({
  imports: [OrdersModule, RegistrationsModule],
  controllers: [ShippingsController],
  providers: [...SHIPPING_COMMAND_HANDLERS],
})
export class ShippingsModule {}
