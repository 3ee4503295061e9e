import { Module } from '@nestjs/common';
import { OrdersModule } from '../orders/orders.module';
import { NOTIFICATION_COMMAND_HANDLERS } from './commands';
import { NotificationsController } from './notifications.controller';
import { RegistrationsModule } from './registrations.module';

/** Notifications registered on one order: add, list, remove. */
@Module({
  imports: [OrdersModule, RegistrationsModule],
  controllers: [NotificationsController],
  providers: [...NOTIFICATION_COMMAND_HANDLERS],
})
export class NotificationsModule {}
