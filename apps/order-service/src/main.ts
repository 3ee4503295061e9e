import { Logger } from '@nestjs/common';
import { closeOnSignals, loadConfig, startEmbeddedPostgres } from '@ordercast/platform';
import { OrderServiceConfig } from './config/order-service.config';
import { createOrderServiceApp } from './create-order-service-app';

const EMBEDDED_POSTGRES_DIR = '.data/postgres';
const EMBEDDED_POSTGRES_PORT = 5433;

/**
 * Runs order-service from the environment; without DATABASE_URL on an embedded PostgreSQL under
 * .data/ (embedded-postgres stops it when the process exits).
 */
async function main(): Promise<void> {
  const config = loadConfig(OrderServiceConfig);
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(EMBEDDED_POSTGRES_DIR, EMBEDDED_POSTGRES_PORT);
  if (embedded) config.databaseUrl = embedded.url;
  const app = await createOrderServiceApp(config);
  await app.listen(config.port);
  const logger = new Logger('OrderService');
  closeOnSignals(app, logger);
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  logger.log({ msg: `order-service listening on ${url}`, url, docs: `${url}/api/docs`, database: embedded ? 'embedded' : 'external', bus: config.brokers ? 'kafka' : 'in-process' });
  // Worded without "Bearer" and "token:" so the log redaction leaves the demo credential readable.
  if (!process.env.API_TOKENS) logger.log({ msg: 'API_TOKENS not set: merchant "demo" signs in with the demo credential demo-token (X-Merchant: demo)' });
}

main().catch((error: unknown) => {
  process.stderr.write(`order-service failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
