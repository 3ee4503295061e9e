import { DynamicModule, Global, Module } from '@nestjs/common';
import { ADMIN_TOKENS, ALLOW_PRIVATE_TARGETS, API_TOKENS, parseAdminTokens, parseApiTokens, SECRET_BOX, SecretBox, TargetGuard } from '@ordercast/platform';
import { CLOCK, systemClock } from './clock';
import { NotificationServiceConfig } from './config/notification-service.config';
import { MerchantSendRate } from './events/merchant-send-rate';

/** What every feature module of notification-service may inject: config, secrets, clock, target guard, API and operator tokens, the on-demand send rate. */
@Global()
@Module({})
export class NotificationCoreModule {
  static forRoot(config: NotificationServiceConfig): DynamicModule {
    const providers = [
      { provide: NotificationServiceConfig, useValue: config },
      { provide: SECRET_BOX, useValue: new SecretBox(config.encryptionKey, { readLegacyDemoValues: config.embeddedDefault }) },
      { provide: API_TOKENS, useValue: parseApiTokens(config.apiTokens) },
      { provide: ADMIN_TOKENS, useValue: parseAdminTokens(config.adminTokens) },
      { provide: ALLOW_PRIVATE_TARGETS, useValue: config.allowPrivateTargets },
      { provide: CLOCK, useValue: systemClock },
      { provide: MerchantSendRate, useValue: new MerchantSendRate(config.merchantSendBytesPerSecond, config.merchantSendBurstBytes) },
      TargetGuard,
    ];
    return { module: NotificationCoreModule, providers, exports: providers.map((provider) => ('provide' in provider ? provider.provide : provider)) };
  }
}
