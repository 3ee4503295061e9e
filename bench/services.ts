/**
 * Starts the services as production runs them: one node process per service from dist/, configured by
 * environment, logs to a file, ready when GET /health answers 200.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import axios from 'axios';
import { sleep } from './clock';

export interface ServiceSpec {
  name: string;
  /** Compiled entry point, relative to the repository root. */
  entry: string;
  env: NodeJS.ProcessEnv;
  port: number;
}

/**
 * What `npm run start:order-service` and `start:notification-service` run with. A heap cap, since V8
 * otherwise grows the heap far past the live set under backlog; and a heap growing factor of 2: under
 * the cap V8 picks about 1.3, and the notification-service ran a full mark-compact every 400 ms of a
 * throughput phase (45 MB live, 15 to 25 ms each plus incremental marking).
 */
export const SERVICE_HEAP_FLAGS = ['--max-old-space-size=192', '--heap-growing-percent=100'];

export class ServiceProcess {
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * `profileDir` adds `--cpu-prof` (and a preload that turns SIGTERM into an exit, so the profile is written).
   * setpriv, where present, makes the kernel stop the service if the bench dies without cleaning up.
   */
  static start(root: string, spec: ServiceSpec, logDir: string, profileDir: string | null): ServiceProcess {
    const logFile = join(logDir, `${spec.name}.log`);
    const output = openSync(logFile, 'a');
    const profiling = profileDir
      ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${spec.name}-${Date.now()}.cpuprofile`, '-r', join(__dirname, 'flush-on-signal.js')]
      : [];
    // The same heap flags as the start scripts (see package.json); BENCH_NODE_FLAGS adds more, e.g. --trace-gc.
    const extra = process.env.BENCH_NODE_FLAGS?.split(' ').filter((flag) => flag !== '') ?? [];
    const nodeArgs = [...SERVICE_HEAP_FLAGS, ...extra, ...profiling, '-r', './scripts/paths.js', spec.entry];
    const [command, args] = existsSync('/usr/bin/setpriv')
      ? ['/usr/bin/setpriv', ['--pdeathsig', 'TERM', process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
    const child = spawn(command, args, { cwd: root, env: spec.env, stdio: ['ignore', output, output] });
    closeSync(output);
    return new ServiceProcess(spec.name, spec.port, child, logFile);
  }

  /** The same process seen through another of its ports (the in-process launcher serves both services). */
  alias(name: string, port: number): ServiceProcess {
    return new ServiceProcess(name, port, this.child, this.logFile);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited during start (code ${this.child.exitCode}):\n${this.logTail()}`);
      try {
        const response = await axios.get(`${this.url}/health`, { timeout: 2000, validateStatus: () => true });
        if (response.status === 200) return;
        last = `${response.status} ${JSON.stringify(response.data).slice(0, 300)}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(250);
    }
    throw new Error(`${this.name} not healthy after ${timeoutMs / 1000} s (last: ${last}):\n${this.logTail()}`);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
    const stopped = await Promise.race([this.exited.then(() => true), gaveUp]);
    clearTimeout(timer);
    if (!stopped) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
