import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RegistrationsModule } from '../notifications/registrations.module';
import { OutboxModule } from '../outbox/outbox.module';
import { ORDER_COMMAND_HANDLERS } from './commands';
import { OrderEntity } from './order.entity';
import { OrderQueries } from './order-queries';
import { OrderCache } from './order-cache';
import { OrderStore } from './order-store';
import { OrdersController } from './orders.controller';

@Module({
  imports: [TypeOrmModule.forFeature([OrderEntity]), OutboxModule, RegistrationsModule],
  controllers: [OrdersController],
  providers: [OrderStore, OrderCache, OrderQueries, ...ORDER_COMMAND_HANDLERS],
  exports: [OrderStore, OrderQueries],
})
export class OrdersModule {}
