import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { MessagingModule } from '@ordercast/messaging';
import {
  ALLOW_PRIVATE_TARGETS, API_TOKENS, ApiAuthGuard, HealthModule, MetricsModule, parseApiTokens, SECRET_BOX, SecretBox, ServiceDatabaseModule,
  TargetGuard,
} from '@ordercast/platform';
import { ChannelsModule } from './channels/channels.module';
import { OrderServiceConfig } from './config/order-service.config';
import { NotificationsModule } from './notifications/notifications.module';
import { orderServiceDatabase } from './order-service.database';
import { OrdersModule } from './orders/orders.module';
import { OutboxModule } from './outbox/outbox.module';
import { PaymentsModule } from './payments/payments.module';
import { ShippingsModule } from './shippings/shippings.module';

/**
 * The whole service. It is global so that the config, the secret box and the target guard
 * it provides reach every feature module without each importing them.
 */
@Module({})
export class OrderServiceModule {
  static forRoot(config: OrderServiceConfig, databaseUrl: string): DynamicModule {
    return {
      module: OrderServiceModule,
      global: true,
      imports: [
        CqrsModule.forRoot(),
        ServiceDatabaseModule.forRoot(orderServiceDatabase(databaseUrl, config.databasePoolSize)),
        MessagingModule.forRoot({ brokers: config.brokers, clientId: 'order-service', topicPrefix: config.kafkaTopicPrefix }),
        OrdersModule,
        PaymentsModule,
        ShippingsModule,
        NotificationsModule,
        ChannelsModule,
        OutboxModule,
        HealthModule,
        MetricsModule,
      ],
      providers: [
        { provide: OrderServiceConfig, useValue: config },
        { provide: API_TOKENS, useValue: parseApiTokens(config.apiTokens) },
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        { provide: SECRET_BOX, useValue: new SecretBox(config.encryptionKey) },
        { provide: ALLOW_PRIVATE_TARGETS, useValue: config.allowPrivateTargets },
        TargetGuard,
      ],
      exports: [OrderServiceConfig, SECRET_BOX, TargetGuard],
    };
  }
}
