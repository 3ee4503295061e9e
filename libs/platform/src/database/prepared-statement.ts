import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { tenantConnection } from './tenant-scope';

/**
 * A statement PostgreSQL parses and plans once per connection and afterwards only executes. For
 * the statements a service runs on every request: planning alone was a third to a half of the
 * server time of order-service's order reads and writes (pg_stat_statements, BENCH_PG_STATS).
 * The name must be unique per text within a service.
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export function preparedStatement(name: string, text: string): PreparedStatement {
  return { name, text };
}

/**
 * A CTE, `async_commit`, that makes the transaction of the statement it is part of commit
 * asynchronously (`synchronous_commit` off for that transaction only): the statement returns before
 * PostgreSQL flushed its commit, which survives a crash of the service but not necessarily one of
 * PostgreSQL (the last fraction of a second). Only for writes whose loss is harmless. The statement
 * must read from it (`CROSS JOIN async_commit`), or PostgreSQL does not run it.
 */
export const ASYNC_COMMIT = `async_commit AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)`;

/** The pg pool under a TypeORM DataSource (for what TypeORM cannot do: named statements, a connection kept). */
export function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/**
 * Runs `statement` on the connection of `on`'s transaction (an EntityManager inside
 * `transaction()`), on the request's transaction inside a tenant scope, or else on a pooled
 * connection of `on`, and returns its rows. Errors are pg's own.
 */
export async function runPrepared<T extends QueryResultRow>(on: DataSource | EntityManager, statement: PreparedStatement, values: unknown[]): Promise<T[]> {
  const query = { name: statement.name, text: statement.text, values };
  if (on instanceof DataSource || !on.queryRunner) {
    const dataSource = on instanceof DataSource ? on : on.connection;
    const scoped = tenantConnection(dataSource);
    if (scoped) return (await (await scoped).query<T>(query)).rows;
    return (await poolOf(dataSource).query<T>(query)).rows;
  }
  const client = (await on.queryRunner.connect()) as PoolClient;
  return (await client.query<T>(query)).rows;
}
