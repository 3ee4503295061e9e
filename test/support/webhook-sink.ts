import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** Path and query as requested. */
  url: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: Date;
}

export interface SinkResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Waits this long before answering (for timeouts). */
  delayMs?: number;
}

/**
 * A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records every request
 * and answers with a programmable sequence per path (the last response repeats; 200 by default).
 */
export class WebhookSink {
  readonly requests: ReceivedRequest[] = [];
  private readonly scripts = new Map<string, SinkResponse[]>();
  private waiters: (() => void)[] = [];
  private readonly delays = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(): Promise<WebhookSink> {
    let sink: WebhookSink | undefined;
    const server = createServer((request, response) => void sink?.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sink = new WebhookSink(server, (server.address() as AddressInfo).port);
    return sink;
  }

  /** The absolute URL of a path on this sink. */
  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Answers the next requests to `path` with these responses in turn; the last one repeats. */
  respond(path: string, ...responses: (SinkResponse | number)[]): void {
    this.scripts.set(path, responses.map((r) => (typeof r === 'number' ? { status: r } : r)));
  }

  received(path?: string): ReceivedRequest[] {
    return path === undefined ? [...this.requests] : this.requests.filter((r) => r.path === path);
  }

  /** Resolves once `count` requests (to `path`, if given) have arrived; rejects after `timeoutMs`. */
  async waitFor(count: number, timeoutMs = 10_000, path?: string): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received(path).length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`webhook sink: expected ${count} request(s)${path ? ` to ${path}` : ''} within ${timeoutMs} ms, got ${this.received(path).length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received(path);
  }

  reset(): void {
    this.requests.length = 0;
    this.scripts.clear();
  }

  async close(): Promise<void> {
    for (const timer of this.delays) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = request.url ?? '/';
    const path = url.split('?')[0];
    this.requests.push({ method: request.method ?? 'GET', url, path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: new Date() });
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();

    const script = this.scripts.get(path);
    const answer = script && script.length > 1 ? script.shift()! : script?.[0] ?? { status: 200, body: 'ok' };
    if (answer.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.delays.delete(timer);
          resolve();
        }, answer.delayMs);
        this.delays.add(timer);
      });
    }
    if (response.destroyed) return;
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body ?? '');
  }
}
