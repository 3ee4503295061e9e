import { INestApplication, Logger } from '@nestjs/common';
import { CommonConfig } from '../config';
import { startEmbeddedPostgres } from '../database';
import { closeOnSignals } from './close-on-signals';

const EMBEDDED_POSTGRES_DIR = '.data/postgres';
const EMBEDDED_POSTGRES_PORT = 5433;

export interface ServiceDefinition<C extends CommonConfig> {
  name: string;
  loadConfig(): C;
  createApp(config: C): Promise<INestApplication>;
}

/**
 * The `main` of a service: config from the environment (a bad variable, or a demo secret,
 * stops it, naming the variable), an embedded PostgreSQL under .data/ when DATABASE_URL is not set, listening, and a
 * graceful stop on SIGTERM or SIGINT.
 */
export function runService<C extends CommonConfig>(service: ServiceDefinition<C>): void {
  start(service).catch((error: unknown) => {
    process.stderr.write(`${service.name} failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  });
}

async function start<C extends CommonConfig>(service: ServiceDefinition<C>): Promise<void> {
  const config = service.loadConfig();
  const embedded = config.databaseUrl ? null : await startEmbeddedPostgres(EMBEDDED_POSTGRES_DIR, EMBEDDED_POSTGRES_PORT);
  if (embedded) config.databaseUrl = embedded.url;
  const app = await service.createApp(config);
  await listenOnEveryInterface(app, config.port);
  const logger = new Logger(service.name);
  closeOnSignals(app, logger, async () => embedded?.stop());
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  logger.log({ msg: `${service.name} listening on ${url}`, url, docs: `${url}/api/docs`, database: embedded ? 'embedded' : 'external', bus: config.brokers ? 'kafka' : 'in-process' });
  if (!config.adminTokens) logger.log({ msg: 'ADMIN_TOKENS not set: there is no operator, so service-wide actions (signing-key rotation) are refused' });
}

/**
 * Every interface, IPv6 and IPv4, as Node listens when given no host (Fastify alone would listen
 * on localhost only); IPv4 alone where the host has no IPv6.
 */
async function listenOnEveryInterface(app: INestApplication, port: number): Promise<void> {
  try {
    await app.listen(port, '::');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAFNOSUPPORT') throw error;
    await app.listen(port, '0.0.0.0');
  }
}
