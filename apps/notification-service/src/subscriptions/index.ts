export * from './dto/create-subscription.dto';
export * from './dto/update-subscription.dto';
export * from './subscription-events';
export * from './subscription.entity';
export * from './subscriptions-api.module';
export * from './subscriptions.module';
export * from './subscriptions.repository';
export * from './subscriptions.service';
