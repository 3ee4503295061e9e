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
  /**
   * How the connections of requests (the tenant pool) plan prepared statements: `generic` (planned once
   * per connection, as background connections always are; see {@link sessionOptions}) or `auto`
   * (PostgreSQL's own choice, for a service with queries whose parameters decide which index serves
   * them). `generic` when omitted.
   */
  requestPlans?: PlanCacheMode;
}

/** See {@link ServiceDatabase.requestPlans}. */
export type PlanCacheMode = 'generic' | 'auto';

/**
 * Session settings of every connection the services open; the tenant pool adds its role and, for a
 * service whose requests want PostgreSQL's own plan choice, `plan_cache_mode=auto` after them (see
 * {@link tenantSessionOptions}).
 *
 * `jit=off`: the services run short statements only, and PostgreSQL compiles a plan with LLVM once its
 * estimated cost passes `jit_above_cost`. Ingest's one insert statement plans correlated sub-selects it
 * rarely runs (ordered targets), whose estimates grow with the events table: past about 20,000 Events
 * every batch was compiled, 220 ms of CPU for 24 deliveries that take 7 ms to insert. Measured on
 * PostgreSQL 15 (Debian, LLVM built in), ingest and completion: 3.5 to 4.3 ms of backend CPU per delivery
 * with JIT, 0.31 to 0.39 without.
 *
 * `plan_cache_mode=force_generic_plan`: a prepared statement is planned once per connection. Left to
 * itself, PostgreSQL plans a statement's first five executions for their parameters, then keeps doing
 * so for good whenever those five came out cheaper than the generic plan, which they do on the small
 * tables of a service that just started: at 100 changes/s, 4 of notification-service's 10 connections
 * planned ingest's insert (1.7 ms a plan) on every execution, 28 % of its server time, and the
 * subscriptions lookup was planned on all of them every time (BENCH_PG_STATS, pg_prepared_statements).
 * The hot statements are written for one plan whatever their parameters (JSON batches, ids, merchants).
 */
export function sessionOptions(schema: string): string {
  return `-c search_path=${schema},public -c jit=off -c plan_cache_mode=force_generic_plan`;
}

/**
 * A whole number written into a statement's text rather than passed as a parameter, for background
 * statements whose plan depends on it: those run on connections that plan generically (see
 * {@link sessionOptions}), and a generic plan cannot estimate `created_at < now() - $1 * interval
 * '1 day'`, so a retention purge could scan a whole table where a plan for the value reads an index
 * and finds nothing to do. Configuration and constants only, never a request's values; anything but a
 * safe integer throws.
 */
export function sqlInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new Error(`expected a whole number for a statement's text, got ${value}`);
  return String(value);
}

/** The tenant pool's settings: the service's own ({@link sessionOptions}), as the tenant role, planning as `plans` says. */
export function tenantSessionOptions(serviceOptions: string, role: string, plans: PlanCacheMode = 'generic'): string {
  return `${serviceOptions} -c role=${role}${plans === 'auto' ? ' -c plan_cache_mode=auto' : ''}`.trim();
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
    extra: { max: db.poolSize ?? 10, connectionTimeoutMillis: 5000, options: sessionOptions(db.schema), requestPlans: db.requestPlans },
  };
}
