import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Answer {
  status: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Waits this long before answering. */
  delayMs?: number;
}

export interface Received {
  /** Path and query as requested. */
  url: string;
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  webhookId: string;
  receivedAt: number;
  /** When the answer was written completely; null while in flight or when the caller went away first. */
  answeredAt: number | null;
  /** The status code of the answer written; null while in flight or when the caller went away first. */
  answeredStatus: number | null;
  /** The caller closed the connection before the answer was written. */
  abandoned: boolean;
}

/**
 * A webhook receiver for fault tests: a real HTTP server on 127.0.0.1 that answers every request
 * through one programmable function, records when each request arrived and whether its answer
 * was written, and notices when one webhook-id is in flight twice at the same moment.
 */
export class RecordingSink {
  readonly requests: Received[] = [];
  /** Webhook-ids that arrived while an earlier request with the same id was still unanswered. */
  readonly overlaps: string[] = [];
  answer: (request: Received) => Answer = () => ({ status: 200, body: 'ok' });
  private readonly inFlight = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(answer?: (request: Received) => Answer): Promise<RecordingSink> {
    let sink: RecordingSink | undefined;
    const server = createServer((request, response) => void sink?.handle(request, response));
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    sink = new RecordingSink(server, (server.address() as AddressInfo).port);
    if (answer) sink.answer = answer;
    return sink;
  }

  /** A receiver that refuses each webhook-id once with 500 and takes it after: every delivery's second attempt is a retry. */
  static failingOnce(): Promise<RecordingSink> {
    const seen = new Set<string>();
    return RecordingSink.start((request) => {
      if (seen.has(request.webhookId)) return { status: 200, body: 'ok' };
      seen.add(request.webhookId);
      return { status: 500, body: 'try again' };
    });
  }

  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  received(path?: string): Received[] {
    return path === undefined ? [...this.requests] : this.requests.filter((r) => r.path === path);
  }

  /**
   * The webhook-ids under which each delivery (its body's `orderId` and `scope`, as `"<orderId> <scope>"`)
   * arrived, of the requests to `path` (all when omitted): more than one id means one change went out as two messages.
   */
  webhookIdsByDelivery(path?: string): Map<string, Set<string>> {
    const deliveries = new Map<string, Set<string>>();
    for (const r of this.received(path)) {
      const body = JSON.parse(r.body) as { orderId: string; scope: string };
      const delivery = `${body.orderId} ${body.scope}`;
      deliveries.set(delivery, (deliveries.get(delivery) ?? new Set()).add(r.webhookId));
    }
    return deliveries;
  }

  /** Requests whose answer has not been written yet. */
  pending(): Received[] {
    return this.requests.filter((r) => r.answeredAt === null && !r.abandoned);
  }

  /** Polls `condition` until it holds; fails with `describe()` after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs: number, describe: () => string, everyMs = 25): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe()}`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const webhookId = String(request.headers['webhook-id'] ?? '');
    const received: Received = {
      url: request.url ?? '/',
      path: (request.url ?? '/').split('?')[0],
      method: request.method ?? 'GET',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      webhookId,
      receivedAt: Date.now(),
      answeredAt: null,
      answeredStatus: null,
      abandoned: false,
    };
    this.requests.push(received);
    if (webhookId) {
      if ((this.inFlight.get(webhookId) ?? 0) > 0) this.overlaps.push(webhookId);
      this.inFlight.set(webhookId, (this.inFlight.get(webhookId) ?? 0) + 1);
    }
    let done = false;
    const settle = (abandoned: boolean) => {
      if (done) return;
      done = true;
      if (abandoned) received.abandoned = true;
      else {
        received.answeredAt = Date.now();
        received.answeredStatus = response.statusCode;
      }
      if (webhookId) this.inFlight.set(webhookId, (this.inFlight.get(webhookId) ?? 1) - 1);
    };
    response.once('close', () => settle(!response.writableFinished));
    response.once('finish', () => settle(false));

    const answer = this.answer(received);
    if (answer.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, answer.delayMs);
        this.timers.add(timer);
      });
    }
    if (response.destroyed) return settle(true);
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body ?? '');
  }
}
