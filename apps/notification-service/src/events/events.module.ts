import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { OrdersModule } from '../orders/orders.module';
import { DeliveriesRepository } from './deliveries.repository';
import { EventQueries } from './event-queries';
import { EventRetries } from './event-retries.service';
import { EventsController } from './events.controller';
import { ManualTrigger } from './manual-trigger.service';
import { EventRetention } from './retention.service';

@Module({
  imports: [DeliveryModule, OrdersModule],
  controllers: [EventsController],
  providers: [DeliveriesRepository, EventQueries, EventRetries, ManualTrigger, EventRetention],
  exports: [DeliveriesRepository, EventQueries],
})
export class EventsModule {}
