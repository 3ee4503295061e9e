import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { MessagingModule } from '@ordercast/messaging';
import {
  ADMIN_TOKENS, ALLOW_PRIVATE_TARGETS, API_TOKENS, ApiAuthGuard, HealthModule, IdempotencyInterceptor, MetricsModule, parseAdminTokens, parseApiTokens,
  SECRET_BOX, SecretBox, ServiceDatabaseModule, TargetGuard, TenantScopeInterceptor, TracingModule,
} from '@ordercast/platform';
import { ChannelsModule } from './channels/channels.module';
import { OrderServiceConfig } from './config/order-service.config';
import { NotificationsModule } from './notifications/notifications.module';
import { orderServiceDatabase } from './order-service.database';
import { MerchantPublishRate } from './orders/merchant-publish-rate';
import { OrderBudget } from './orders/order-budget';
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
        TracingModule.forService('order-service', config.tracing),
        CqrsModule.forRoot(),
        ServiceDatabaseModule.forRoot(orderServiceDatabase(databaseUrl, config.databasePoolSize)),
        MessagingModule.forRoot({ brokers: config.brokers, clientId: 'order-service', topicPrefix: config.kafkaTopicPrefix, topics: config.kafkaTopics }),
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
        { provide: OrderBudget, useValue: new OrderBudget(config.kafkaMaxMessageBytes) },
        { provide: MerchantPublishRate, useValue: new MerchantPublishRate(config.merchantPublishBytesPerSecond, config.merchantPublishBurstBytes) },
        { provide: API_TOKENS, useValue: parseApiTokens(config.apiTokens) },
        { provide: ADMIN_TOKENS, useValue: parseAdminTokens(config.adminTokens) },
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        // The tenant scope runs Idempotency-Key handling inside the request's transaction itself.
        IdempotencyInterceptor,
        { provide: APP_INTERCEPTOR, useClass: TenantScopeInterceptor },
        { provide: SECRET_BOX, useValue: new SecretBox(config.encryptionKey, { readLegacyDemoValues: config.embeddedDefault }) },
        { provide: ALLOW_PRIVATE_TARGETS, useValue: config.allowPrivateTargets },
        TargetGuard,
      ],
      exports: [OrderServiceConfig, OrderBudget, MerchantPublishRate, SECRET_BOX, TargetGuard],
    };
  }
}
