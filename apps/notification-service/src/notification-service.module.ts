import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { MessagingModule } from '@ordercast/messaging';
import { ApiAuthGuard, HealthModule, IdempotencyInterceptor, ServiceDatabaseModule, TenantScopeInterceptor, TracingModule } from '@ordercast/platform';
import { AlertsModule } from './alerts/alerts.module';
import { NotificationServiceConfig } from './config/notification-service.config';
import { DashboardModule } from './dashboard/dashboard.module';
import { DeliveryModule } from './delivery/delivery.module';
import { EmailModule } from './email';
import { EventsModule } from './events/events.module';
import { NotificationMetricsModule } from './metrics/metrics.module';
import { IngestModule } from './ingest/ingest.module';
import { NotificationCoreModule } from './notification-core.module';
import { notificationDatabase } from './notification-database';
import { OrdersModule } from './orders/orders.module';
import { PollingModule } from './polling';
import { SigningModule } from './signing';
import { SubscriptionsApiModule } from './subscriptions/subscriptions-api.module';
import { SubscriptionsModule } from './subscriptions/subscriptions.module';

@Module({})
export class NotificationServiceModule {
  static forRoot(config: NotificationServiceConfig, databaseUrl: string): DynamicModule {
    return {
      module: NotificationServiceModule,
      imports: [
        TracingModule.forService('notification-service', config.tracing),
        NotificationCoreModule.forRoot(config),
        ServiceDatabaseModule.forRoot(notificationDatabase(databaseUrl, config.databasePoolSize)),
        MessagingModule.forRoot({
          brokers: config.brokers, clientId: 'notification-service', topicPrefix: config.kafkaTopicPrefix, topics: config.kafkaTopics,
          sessionTimeoutMs: config.kafkaSessionTimeoutMs,
        }),
        SigningModule.register({ keyGraceMs: config.signingKeyGraceMs, jwksMaxAgeSeconds: config.jwksMaxAgeSeconds }),
        PollingModule.register({ visibilityMs: config.pollVisibilityMs, retentionDays: config.retentionDays }),
        EmailModule.register({ smtpUrl: config.smtpUrl ?? null, from: config.smtpFrom, timeoutMs: config.deliveryTimeoutMs }),
        OrdersModule,
        SubscriptionsModule,
        SubscriptionsApiModule,
        DeliveryModule,
        EventsModule,
        AlertsModule,
        IngestModule,
        HealthModule,
        NotificationMetricsModule,
        DashboardModule,
      ],
      providers: [
        { provide: APP_GUARD, useClass: ApiAuthGuard },
        // The tenant scope runs Idempotency-Key handling inside the request's transaction itself.
        IdempotencyInterceptor,
        { provide: APP_INTERCEPTOR, useClass: TenantScopeInterceptor },
      ],
    };
  }
}
