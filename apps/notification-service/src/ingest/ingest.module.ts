import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { EventsModule } from '../events/events.module';
import { OrdersModule } from '../orders/orders.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { OrderEventsConsumer } from './order-events.consumer';
import { OrderEventsIngest } from './order-events.ingest';

@Module({
  imports: [DeliveryModule, EventsModule, OrdersModule, SubscriptionsModule],
  providers: [OrderEventsIngest, OrderEventsConsumer],
})
export class IngestModule {}
