import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SubscriptionEvents } from './subscription-events';
import { SubscriptionEntity } from './subscription.entity';
import { SubscriptionsController } from './subscriptions.controller';
import { SubscriptionsService } from './subscriptions.service';

/**
 * The subscriptions API. Needs `SECRET_BOX` and `TargetGuard` globally; import it where
 * {@link SubscriptionEvents} is listened to, so both sides share one emitter.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SubscriptionEntity])],
  controllers: [SubscriptionsController],
  providers: [SubscriptionsService, SubscriptionEvents],
  exports: [SubscriptionEvents],
})
export class SubscriptionsApiModule {}
