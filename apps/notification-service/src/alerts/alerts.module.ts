import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { EventsModule } from '../events/events.module';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';
import { EndpointAlerts } from './endpoint-alerts';
import { EndpointHealthQueries } from './endpoint-health';
import { EndpointsController } from './endpoints.controller';

/** Operational alerts to alert subscriptions, and the endpoints health view. */
@Module({
  imports: [DeliveryModule, EventsModule, SubscriptionsModule],
  controllers: [EndpointsController],
  providers: [EndpointAlerts, EndpointHealthQueries],
})
export class AlertsModule {}
