import { Client } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { QueryLogger } from './query-logger';

/** Creates the service's schema before TypeORM runs its migrations into it. */
export async function ensureSchema(url: string, schema: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  } finally {
    await client.end();
  }
}

export interface ServiceDatabase {
  url: string;
  schema: string;
  entities: DataSourceOptions['entities'];
  migrations: DataSourceOptions['migrations'];
  poolSize?: number;
}

/**
 * TypeORM options every service uses: its own schema, migrations run at boot, never synchronize.
 * `undefined` or `null` in a `where` throws: TypeORM would otherwise drop the condition, and a
 * lookup whose merchant is missing would match every merchant's rows (`IsNull()` asks for NULL).
 */
export function postgresOptions(db: ServiceDatabase): DataSourceOptions {
  return {
    type: 'postgres',
    url: db.url,
    schema: db.schema,
    entities: db.entities,
    migrations: db.migrations,
    migrationsTableName: 'migrations',
    migrationsRun: true,
    synchronize: false,
    invalidWhereValuesBehavior: { undefined: 'throw', null: 'throw' },
    logging: ['error', 'warn'],
    logger: new QueryLogger(),
    extra: { max: db.poolSize ?? 10, connectionTimeoutMillis: 5000, options: `-c search_path=${db.schema},public` },
  };
}
