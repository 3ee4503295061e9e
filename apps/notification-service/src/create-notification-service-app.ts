import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { schemaBudgetProblem } from '@ordercast/contracts';
import { configureHttpApp, ensureSchema, JsonLogger, REQUEST_BODY_LIMITS, setupApiDocs, strictFastifyAdapter, traceHttpRequests } from '@ordercast/platform';
import { NotificationServiceConfig } from './config/notification-service.config';
import { USER_AGENT } from './delivery/user-agent';
import { NOTIFICATIONS_SCHEMA } from './notification-database';
import { NotificationServiceModule } from './notification-service.module';

/**
 * Builds notification-service from a config object: schema ensured, migrations run, HTTP set
 * up, not yet listening (tests call `init()` or `listen(0)`; main.ts listens on PORT).
 */
export async function createNotificationServiceApp(config: NotificationServiceConfig): Promise<INestApplication> {
  const { databaseUrl } = config;
  if (!databaseUrl) throw new Error('DATABASE_URL is required (main.ts starts an embedded PostgreSQL when it is not set)');
  await ensureSchema(databaseUrl, NOTIFICATIONS_SCHEMA);
  const logger = new JsonLogger('notification-service', config.logLevel, config.logFormat);
  const app = await NestFactory.create(NotificationServiceModule.forRoot(config, databaseUrl), strictFastifyAdapter(), { logger, bodyParser: false, abortOnError: false });
  configureHttpApp(app, logger, [schemaBudgetProblem]);
  traceHttpRequests(app, 'notification-service');
  const document = new DocumentBuilder()
    .setTitle('Ordercast notification-service')
    .setDescription(`Events (delivery attempts) of order notifications: query, retry, manual send; merchant-wide subscriptions; the poll queue; signing keys and secrets. Every /api route needs X-Merchant and a Bearer token, except the JWKS; signing-key rotation and the parked-changes list need an operator token (ADMIN_TOKENS) instead. ${REQUEST_BODY_LIMITS}`)
    .setVersion(USER_AGENT.slice('Ordercast/'.length))
    .addBearerAuth()
    .addGlobalParameters({ name: 'X-Merchant', in: 'header', required: true, schema: { type: 'string' } })
    .build();
  setupApiDocs(app, () => SwaggerModule.createDocument(app, document));
  return app;
}
