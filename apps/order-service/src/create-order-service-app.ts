import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { schemaBudgetProblem } from '@ordercast/contracts';
import { configureHttpApp, ensureSchema, JsonLogger, strictFastifyAdapter, traceHttpRequests } from '@ordercast/platform';
import { OrderServiceConfig } from './config/order-service.config';
import { OrderServiceModule } from './order-service.module';
import { ORDERS_SCHEMA } from './order-service.database';
import { setupOpenApi } from './openapi';

/**
 * A configured order-service that does not listen yet: the schema exists, migrations ran,
 * and the outbox relay starts when the app is initialised (listen or init).
 */
export async function createOrderServiceApp(config: OrderServiceConfig): Promise<INestApplication> {
  const { databaseUrl } = config;
  if (!databaseUrl) throw new Error('DATABASE_URL is required (main.ts starts an embedded PostgreSQL when it is not set)');
  await ensureSchema(databaseUrl, ORDERS_SCHEMA);
  const logger = new JsonLogger('order-service', config.logLevel, config.logFormat);
  const app = await NestFactory.create(OrderServiceModule.forRoot(config, databaseUrl), strictFastifyAdapter(), { logger, bodyParser: false, abortOnError: false });
  configureHttpApp(app, logger, [schemaBudgetProblem]);
  traceHttpRequests(app, 'order-service');
  setupOpenApi(app);
  return app;
}
