import { DynamicModule, Global, Module } from '@nestjs/common';
import { ADMIN_TOKENS, ALLOW_PRIVATE_TARGETS, API_TOKENS, parseAdminTokens, parseApiTokens, SECRET_BOX, SecretBox, TargetGuard } from '@ordercast/platform';
import { CLOCK, systemClock } from './clock';
import { NotificationServiceConfig } from './config/notification-service.config';

/** What every feature module of notification-service may inject: config, secrets, clock, target guard, API and operator tokens. */
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
      TargetGuard,
    ];
    return { module: NotificationCoreModule, providers, exports: providers.map((provider) => ('provide' in provider ? provider.provide : provider)) };
  }
}
