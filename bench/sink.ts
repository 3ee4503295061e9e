/**
 * The webhook sink: a separate process (so its CPU is not the driver's) that answers every request at once,
 * except paths under /slow/ which it answers after a configurable delay, and reports to the parent over IPC.
 *
 * Paths: /hook/<name>/... and /slow/<name>/... are webhook targets; a request to them is keyed
 * `<kind>/<name>|<orderId>|<scope>` (e.g. `hook/erp|...`) from its JSON body and its first receive time is kept. /ceiling/... is only counted.
 * Two listeners share the handler: 127.0.0.1:`port` for healthy targets and `slowHost`:`slowPort` (127.0.0.2 by
 * default) for the slow one, so it is another host, as a broken ERP would be: the dispatcher limits concurrency
 * and opens circuits per merchant endpoint (merchant and origin), and a slow path of the bench merchant on the
 * healthy origin would rightly hold its healthy ones back too. The noisy-neighbour phase puts another merchant's
 * slow path on the healthy origin, which must not.
 */
import { ChildProcess, fork } from 'node:child_process';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { now } from './clock';

export interface SinkCounts {
  /** Every request received, whatever the path. */
  requests: number;
  /** Requests per target name (`hook/erp`, `slow/erp`, `ceiling`), duplicates included. */
  byTarget: Record<string, number>;
  /** Keyed requests whose key had been seen before (at-least-once redeliveries, retries). */
  duplicates: number;
  /** Webhook requests whose body had no orderId/scope. */
  unkeyed: number;
  /** Slow requests whose connection the client closed before the sink answered. */
  abandoned: number;
  bytes: number;
}

export interface SinkSample {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

type Command =
  | { id: number; cmd: 'counts' }
  | { id: number; cmd: 'drain' }
  | { id: number; cmd: 'sample' }
  | { id: number; cmd: 'config'; slowMs: number };

type Reply =
  | { type: 'ready'; port: number; slowHost: string; slowPort: number }
  | { type: 'reply'; id: number; counts: SinkCounts; arrivals?: Array<[string, number]>; sample?: SinkSample | null };

// ---------------------------------------------------------------------------------------------------------------
// Child side
// ---------------------------------------------------------------------------------------------------------------

function runSink(): void {
  let slowMs = Number(process.env.SINK_SLOW_MS ?? 0);
  const counts: SinkCounts = { requests: 0, byTarget: {}, duplicates: 0, unkeyed: 0, abandoned: 0, bytes: 0 };
  const seen = new Set<string>();
  let pending: Array<[string, number]> = [];
  let sample: SinkSample | null = null;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const receivedAt = now();
    counts.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      counts.bytes += body.length;
      const [, kind = '', name = ''] = (req.url ?? '/').split('?')[0].split('/');
      const target = kind === 'ceiling' ? 'ceiling' : `${kind}/${name}`;
      counts.byTarget[target] = (counts.byTarget[target] ?? 0) + 1;

      if (kind === 'slow' && slowMs > 0) {
        const timer = setTimeout(() => res.end('ok'), slowMs);
        res.on('close', () => {
          if (!res.writableFinished) {
            counts.abandoned++;
            clearTimeout(timer);
          }
        });
      } else {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
        res.end('ok');
      }

      if (kind !== 'hook' && kind !== 'slow') return;
      if (!sample && kind === 'hook') {
        sample = { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body: body.toString('utf8') };
      }
      const key = keyOf(target, body);
      if (!key) {
        counts.unkeyed++;
        return;
      }
      if (seen.has(key)) {
        counts.duplicates++;
        return;
      }
      seen.add(key);
      pending.push([key, receivedAt]);
    });
  };

  const listen = (server: Server, host: string) =>
    new Promise<number>((resolve) => {
      // Clients keep connections open between bursts; the default 5 s would make them reconnect mid-run.
      server.keepAliveTimeout = 120_000;
      server.headersTimeout = 121_000;
      server.requestTimeout = 0;
      server.listen(0, host, 1024, () => resolve((server.address() as AddressInfo).port));
    });

  process.on('message', (message: Command) => {
    const reply: Reply = { type: 'reply', id: message.id, counts };
    if (message.cmd === 'drain') {
      reply.arrivals = pending;
      pending = [];
    } else if (message.cmd === 'sample') {
      reply.sample = sample;
    } else if (message.cmd === 'config') {
      slowMs = message.slowMs;
    }
    process.send?.(reply);
  });
  // The parent owns this process: when it goes away (even by SIGKILL), so does the sink.
  process.on('disconnect', () => process.exit(0));

  const slowHost = process.env.SINK_SLOW_HOST ?? '127.0.0.2';
  void Promise.all([listen(createServer(handle), '127.0.0.1'), listen(createServer(handle), slowHost)]).then(([port, slowPort]) => {
    const ready: Reply = { type: 'ready', port, slowHost, slowPort };
    process.send?.(ready);
  });
}

/** `<target>|<orderId>|<scope>` from a delivery body, or null when it is not one. */
export function keyOf(target: string, body: Buffer): string | null {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { orderId?: unknown; scope?: unknown };
    if (typeof parsed.orderId !== 'string' || typeof parsed.scope !== 'string') return null;
    return `${target}|${parsed.orderId}|${parsed.scope}`;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parent side
// ---------------------------------------------------------------------------------------------------------------

/** Handle on the sink process: its ports, and the first receive time of every keyed delivery. */
export class Sink {
  /** key -> first receive time, accumulated from every drain. */
  readonly arrivals = new Map<string, number>();
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (reply: Extract<Reply, { type: 'reply' }>) => void; reject: (error: Error) => void }>();

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly slowHost: string,
    readonly slowPort: number,
  ) {
    child.on('message', (message: Reply) => {
      if (message.type !== 'reply') return;
      this.waiting.get(message.id)?.resolve(message);
      this.waiting.delete(message.id);
    });
    child.on('exit', (code, signal) => {
      for (const { reject } of this.waiting.values()) reject(new Error(`sink process exited (${signal ?? code})`));
      this.waiting.clear();
    });
  }

  /** `slowHost`: where the slow target listens; 127.0.0.2 makes it a host of its own. */
  static async start(slowMs: number, slowHost = '127.0.0.2'): Promise<Sink> {
    // Plain node, no inherited flags: --cpu-prof or -r hooks of the bench must not apply to the sink.
    const child = fork(join(__dirname, 'sink.js'), [], { execArgv: [], env: { ...process.env, SINK_SLOW_MS: String(slowMs), SINK_SLOW_HOST: slowHost }, stdio: 'inherit' });
    const ready = await new Promise<Extract<Reply, { type: 'ready' }>>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sink exited during start (code ${code})`)));
      child.on('message', (message: Reply) => {
        if (message.type === 'ready') resolve(message);
      });
    });
    child.removeAllListeners('exit');
    return new Sink(child, ready.port, ready.slowHost, ready.slowPort);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  slowUrl(path: string): string {
    return `http://${this.slowHost}:${this.slowPort}${path}`;
  }

  async counts(): Promise<SinkCounts> {
    return (await this.ask({ cmd: 'counts' })).counts;
  }

  /** Fetches the arrivals since the last drain into `arrivals`; returns the counts. */
  async drain(): Promise<SinkCounts> {
    const reply = await this.ask({ cmd: 'drain' });
    for (const [key, at] of reply.arrivals ?? []) this.arrivals.set(key, at);
    return reply.counts;
  }

  async sample(): Promise<SinkSample | null> {
    return (await this.ask({ cmd: 'sample' })).sample ?? null;
  }

  async setSlowMs(slowMs: number): Promise<void> {
    await this.ask({ cmd: 'config', slowMs });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }

  private ask(command: Record<string, unknown> & { cmd: Command['cmd'] }): Promise<Extract<Reply, { type: 'reply' }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error('sink process is gone'));
        return;
      }
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...command, id });
    });
  }
}

if (require.main === module) runSink();
