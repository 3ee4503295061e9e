import { ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../harness/kafka-broker';

const execFileAsync = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..', '..');
const SOURCE_DIRS = ['apps/order-service/src', 'apps/notification-service/src', 'libs/contracts/src', 'libs/messaging/src', 'libs/platform/src', 'scripts', 'test/trust/support'];

export type ServiceName = 'order-service' | 'notification-service';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * Makes sure dist/ holds the compiled services: every source file has an output at least as new
 * as itself (`npm test` builds first, so this is a no-op there; a local run rebuilds what changed).
 */
export async function ensureBuilt(): Promise<void> {
  if (staleSources().length === 0) return;
  try {
    await execFileAsync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    // tsc still emits when a file elsewhere in the tree has a type error; only missing output is fatal.
    const stale = staleSources();
    if (stale.length > 0) throw new Error(`build failed, stale output for ${stale.slice(0, 5).join(', ')}: ${(error as { stdout?: string }).stdout ?? String(error)}`);
  }
}

function staleSources(): string[] {
  const stale: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) {
        const output = join(ROOT, 'dist', relative(ROOT, path)).replace(/\.ts$/, '.js');
        if (!existsSync(output) || statSync(output).mtimeMs < statSync(path).mtimeMs) stale.push(relative(ROOT, path));
      }
    }
  };
  for (const dir of SOURCE_DIRS) visit(join(ROOT, dir));
  return stale;
}

/**
 * A service running as a real operating-system process from the compiled output, as in production:
 * `node -r ./scripts/paths.js dist/apps/<service>/src/main.js`, its stdout and stderr appended to a
 * log file (kept across restarts, so a test can read everything the service ever wrote).
 */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private exit: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  readonly url: string;

  private constructor(
    readonly name: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
    readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts the service and waits until GET /health answers 200. */
  static async start(name: ServiceName, env: Record<string, string>, logFile: string, healthTimeoutMs = 30_000): Promise<ServiceProcess> {
    const service = new ServiceProcess(name, await freePort(), env, logFile);
    await service.launch(healthTimeoutMs);
    return service;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Resolves when the current process has exited. */
  exited(): Promise<Exit> {
    return this.exit;
  }

  /** Starts the service again on the same port with the same environment. */
  async restart(healthTimeoutMs = 30_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} is still running`);
    await this.launch(healthTimeoutMs);
  }

  /** Sends a signal; SIGKILL is a crash (no shutdown hook runs, nothing is flushed). */
  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGTERM, then SIGKILL when the process is still there after `graceMs`. */
  async stop(graceMs = 20_000): Promise<Exit> {
    if (!this.child) return this.exit;
    this.signal('SIGTERM');
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([this.exit, new Promise<typeof timedOut>((resolve) => (timer = setTimeout(() => resolve(timedOut), graceMs)))]);
    clearTimeout(timer);
    if (result !== timedOut) return result;
    this.signal('SIGKILL');
    return this.exit;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  async health(): Promise<number> {
    try {
      const response = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(5_000) });
      return response.status;
    } catch {
      return 0;
    }
  }

  private async launch(healthTimeoutMs: number): Promise<void> {
    const output = openSync(this.logFile, 'a');
    try {
      const child = spawn(process.execPath, ['-r', './scripts/paths.js', `dist/apps/${this.name}/src/main.js`], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...this.env, PORT: String(this.port) },
        stdio: ['ignore', output, output],
      });
      this.child = child;
      this.exit = new Promise<Exit>((resolve) => {
        child.once('exit', (code, signal) => {
          if (this.child === child) this.child = null;
          process.off('exit', killOnExit);
          resolve({ code, signal });
        });
      });
      const killOnExit = () => child.kill('SIGKILL');
      process.on('exit', killOnExit);
    } finally {
      closeSync(output);
    }
    const deadline = Date.now() + healthTimeoutMs;
    while ((await this.health()) !== 200) {
      if (!this.child) throw new Error(`${this.name} exited during start:\n${this.log().split('\n').slice(-30).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${this.name} not healthy within ${healthTimeoutMs} ms:\n${this.log().split('\n').slice(-30).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
