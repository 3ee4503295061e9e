import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { closeOnSignals, loadConfig, startEmbeddedPostgres } from '@ordercast/platform';
import { NotificationServiceConfig } from './config/notification-service.config';
import { createNotificationServiceApp } from './create-notification-service-app';

const EMBEDDED_POSTGRES_DIR = '.data/postgres';
const EMBEDDED_POSTGRES_PORT = 5433;

/** Runs notification-service from the environment; without DATABASE_URL on an embedded PostgreSQL under .data/. */
async function main(): Promise<void> {
  const config = loadConfig(NotificationServiceConfig);
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(EMBEDDED_POSTGRES_DIR, EMBEDDED_POSTGRES_PORT);
  if (embedded) config.databaseUrl = embedded.url;
  const app = await createNotificationServiceApp(config);
  if (embedded) process.once('exit', () => void embedded.stop());
  await app.listen(config.port);
  const logger = new Logger('NotificationService');
  closeOnSignals(app, logger);
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  logger.log({ msg: `notification-service listening on ${url}`, url, docs: `${url}/api/docs`, database: embedded ? 'embedded' : 'external', bus: config.brokers ? 'kafka' : 'in-process' });
  if (!process.env.API_TOKENS) logger.log({ msg: 'API_TOKENS not set: use X-Merchant: demo with the API token demo-token' });
}

main().catch((error: unknown) => {
  process.stderr.write(`notification-service failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
