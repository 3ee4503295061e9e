import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { EventsModule } from '../events/events.module';
import { OrdersModule } from '../orders/orders.module';
import { ScopeMatcher } from '../matching/scope-matcher';
import { IngestAttempts } from './ingest-attempts';
import { OrderEventsConsumer } from './order-events.consumer';
import { OrderEventsIngest } from './order-events.ingest';
import { ParkedChanges } from './parked-changes';
import { ParkedChangesController } from './parked-changes.controller';

@Module({
  imports: [DeliveryModule, EventsModule, OrdersModule],
  controllers: [ParkedChangesController],
  // The matcher is a provider (not built inside the ingest) so that one instance, with its schema cache, serves the service.
  providers: [OrderEventsIngest, OrderEventsConsumer, IngestAttempts, ParkedChanges, { provide: ScopeMatcher, useFactory: () => new ScopeMatcher() }],
})
export class IngestModule {}
