import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { HttpMethod } from '@ordercast/contracts';
import { maskHeaders, openUrlCredentials, SECRET_BOX, SecretBox, SpanKind, startSpan, TraceHeaders, TraceSpan } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { CLOCK, Clock } from '../clock';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { renderEmail } from '../email/render-email';
import { AttemptVerdict, judgeAttempt } from './attempt-verdict';
import { CircuitBreaker } from './circuit-breaker';
import type { DeliveryBody } from './delivery-body';
import { SIGNER, MessageSigner } from './delivery-signer.port';
import { DispatchSignal } from './dispatch-signal';
import { AttemptResult, ClaimedAttempt, DispatchRepository } from './dispatch.repository';
import { EmailOutcome, judgeEmail } from './email-verdict';
import { HostLimiter } from './host-limiter';
import { HTTP_INVOKER, HttpInvoker, HttpRequest, HttpResult } from './http-invoker';
import { MAILER, Mailer } from './mailer.port';
import { ResultWriter } from './result-writer';
import type { RetryPolicy } from './retry-schedule';
import { USER_AGENT } from './user-agent';

/**
 * Delivers pending webhook and email Events. Rows are leased from the database in batches (so several
 * instances share the work and a crashed one's rows come back when the lease expires), called
 * with bounded concurrency overall and per host, and their results written in batches.
 *
 * Work arrives two ways: the ids the local ingest just committed (no polling delay), and a poll
 * every DISPATCH_POLL_MS for everything else that is due (retries, other instances' leftovers).
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Dispatcher.name);
  private readonly breaker: CircuitBreaker;
  private readonly hosts: HostLimiter;
  private readonly policy: RetryPolicy;
  private readonly signalled = new Set<string>();
  /** Attempts ingest inserted already leased to this instance, waiting for a slot. */
  private readonly handedOver: Array<{ attempt: ClaimedAttempt; leasedUntil: number }> = [];
  private readonly running = new Set<Promise<void>>();
  private poller: NodeJS.Timeout | null = null;
  private filling: Promise<void> | null = null;
  private fillAgain = false;
  /** The poll timer asked for due rows (retries, rows of other instances, signals lost). */
  private pollDue = true;
  /** The last poll found a full batch, so more rows may be due right now. */
  private backlog = false;
  private stopped = true;

  constructor(
    private readonly repository: DispatchRepository,
    private readonly results: ResultWriter,
    private readonly signal: DispatchSignal,
    private readonly config: NotificationServiceConfig,
    @Inject(HTTP_INVOKER) private readonly invoker: HttpInvoker,
    @Inject(SIGNER) private readonly signer: MessageSigner,
    @Inject(MAILER) private readonly mailer: Mailer,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.breaker = new CircuitBreaker({ failureThreshold: config.circuitFailureThreshold, cooldownMs: config.circuitCooldownMs });
    this.hosts = new HostLimiter(config.perTargetConcurrency);
    this.policy = { delaysMs: config.retryDelaysMs, retryAfterMaxMs: config.retryAfterMaxMs };
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.signal.listen({
      notify: (ids) => {
        if (this.stopped) return;
        for (const id of ids) this.signalled.add(id);
        this.fill();
      },
      capacity: () => (this.stopped ? 0 : Math.max(0, this.config.dispatchConcurrency + this.config.dispatchBatch - this.running.size - this.handedOver.length)),
      accept: (attempts, leasedUntil) => {
        if (this.stopped) return this.release(attempts);
        for (const attempt of attempts) this.handedOver.push({ attempt, leasedUntil });
        this.startHandedOver();
      },
    });
    this.poller = setInterval(() => {
      this.pollDue = true;
      this.fill();
    }, this.config.dispatchPollMs);
    this.fill();
  }

  /** Stops claiming, gives back what was handed over but not started, lets the calls in flight finish and writes their results. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    this.release(this.handedOver.splice(0).map(({ attempt }) => attempt));
    await this.filling;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await this.results.drain();
  }

  private fill(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.claimWhileFree()
      .catch((error: Error) => this.logger.error({ msg: 'could not claim due deliveries', reason: error.message }))
      .finally(() => {
        this.filling = null;
        if (this.fillAgain) {
          this.fillAgain = false;
          this.fill();
        }
      });
  }

  /**
   * Fresh rows first, but every poll also claims due rows, so retries are not starved by a
   * steady stream of new deliveries.
   */
  private async claimWhileFree(): Promise<void> {
    while (!this.stopped) {
      if (this.signalled.size > 0 && this.free() > 0) {
        const ids = [...this.signalled].slice(0, Math.min(this.free(), this.config.dispatchBatch));
        for (const id of ids) this.signalled.delete(id);
        this.startAll(await this.repository.claimByIds(ids, this.config.leaseMs));
      }
      if ((this.pollDue || this.backlog) && this.free() > 0) {
        this.pollDue = false;
        const limit = Math.min(this.free(), this.config.dispatchBatch);
        const rows = await this.repository.claimDue(limit, this.config.leaseMs);
        this.backlog = rows.length === limit;
        this.startAll(rows);
      }
      if (this.free() <= 0 || (this.signalled.size === 0 && !this.backlog)) return;
    }
  }

  private free(): number {
    return this.config.dispatchConcurrency - this.running.size;
  }

  /**
   * Starts handed-over attempts while there are free slots. One whose lease is half gone is
   * dropped instead: it could expire mid-call and another instance send it too; once it has
   * expired, polling finds the row.
   */
  private startHandedOver(): void {
    const now = this.clock.now().getTime();
    const margin = this.config.leaseMs / 2;
    const starting: ClaimedAttempt[] = [];
    while (this.handedOver.length > 0 && this.free() - starting.length > 0) {
      const next = this.handedOver.shift()!;
      if (next.leasedUntil - now > margin) starting.push(next.attempt);
    }
    this.startAll(starting);
  }

  /** Gives leased attempts back unattempted: pending, due at once, for any instance. */
  private release(attempts: ClaimedAttempt[]): void {
    const now = this.clock.now();
    for (const attempt of attempts) this.results.defer({ eventId: attempt.id, until: now });
  }

  private startAll(rows: ClaimedAttempt[]): void {
    for (const row of rows) {
      const task = this.deliver(row)
        .catch((error: Error) => this.logger.error({ msg: 'delivery attempt crashed; its lease will expire and it is retried', eventId: row.id, reason: error.message }))
        .finally(() => {
          this.running.delete(task);
          this.onSlotFreed();
        });
      this.running.add(task);
    }
  }

  /** Refills in batches rather than one row per completion, which would cost a query per delivery. */
  private onSlotFreed(): void {
    if (this.handedOver.length > 0) this.startHandedOver();
    const free = this.free();
    const worthAQuery = free >= Math.min(this.config.dispatchBatch, Math.ceil(this.config.dispatchConcurrency / 4)) || this.running.size === 0;
    if ((this.backlog || this.signalled.size > 0) && worthAQuery) this.fill();
  }

  private async deliver(row: ClaimedAttempt): Promise<void> {
    if (row.skipReason !== null) return this.recordWithoutCall(row, row.skipReason);
    if (row.delivery === 'email') return this.sendEmail(row);
    if (row.url === null) return this.recordWithoutCall(row, 'no target URL');
    const host = hostOf(row.url);
    // A row for a host whose circuit is open is given back at once rather than holding a dispatch
    // slot while it queues behind that host's calls; decide() below still rules once it has a host slot.
    const openUntil = this.breaker.openUntil(host, this.clock.now().getTime());
    if (openUntil !== null) return this.results.defer({ eventId: row.id, until: new Date(openUntil) });
    await this.hosts.acquire(host);
    try {
      // Shutting down: a row still waiting for its host is given back rather than started, so the
      // process stops within one call's time instead of working through everything it had claimed.
      if (this.stopped) return this.results.defer({ eventId: row.id, until: this.clock.now() });
      const decision = this.breaker.decide(host, this.clock.now().getTime());
      if (!decision.allowed) return this.results.defer({ eventId: row.id, until: new Date(decision.retryAt) });
      await this.attempt(row, host);
    } finally {
      this.hosts.release(host);
    }
  }

  /** Traced, the attempt is a client span, child of the message's trace context, and the target gets its `traceparent`. */
  private async attempt(row: ClaimedAttempt, host: string): Promise<void> {
    const now = this.clock.now();
    const span = startSpan('notification-service', row.method, SpanKind.CLIENT, row.traceContext, {
      'http.request.method': row.method, 'server.address': host, 'ordercast.event_id': row.id, 'ordercast.webhook_id': row.messageId, 'ordercast.attempt': row.attempt,
    });
    let prepared: { request: HttpRequest; maskedHeaders: Record<string, string> };
    try {
      prepared = await this.prepare(row, row.url as string, now, span?.headers);
    } catch (error) {
      // Not the target's fault (key store unreachable, undecryptable secret): no circuit failure.
      const result: HttpResult = { kind: 'error', error: `could not prepare the request: ${(error as Error).message}`, durationMs: 0 };
      if (span) endAttemptSpan(span, result);
      return this.recordResult(row, result, null);
    }
    const result = await this.invoker.invoke(prepared.request);
    if (span) endAttemptSpan(span, result);
    const succeeded = result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300;
    if (succeeded) this.breaker.recordSuccess(host);
    else this.breaker.recordFailure(host, this.clock.now().getTime());
    this.recordResult(row, result, prepared.maskedHeaders);
  }

  private async prepare(row: ClaimedAttempt, url: string, now: Date, trace: TraceHeaders | undefined): Promise<{ request: HttpRequest; maskedHeaders: Record<string, string> }> {
    // Only the target itself gets the URL's credentials and the header values in the clear.
    const target = openUrlCredentials(url, this.box);
    const registered = this.box.decryptValues(row.sealedHeaders, 'header-values');
    const secret = row.sealedSecret === null ? null : this.box.decrypt(row.sealedSecret, 'signing-secrets');
    const timestamp = Math.floor(now.getTime() / 1000);
    const body = sendsBody(row.method) ? row.body : null;
    const ordercast: Record<string, string> = {
      ...(body === null ? {} : { 'Content-Type': 'application/json' }),
      'User-Agent': USER_AGENT,
      'webhook-id': row.messageId,
      'webhook-timestamp': String(timestamp),
    };
    const signatures = await this.signer.sign({ messageId: row.messageId, timestamp, body: body ?? '', canonical: row.bodyCanonical, secret });
    const own = { ...ordercast, ...signatures, ...trace };
    const registeredOnly = withoutNames(registered, Object.keys(own));
    return {
      request: { url: target, method: row.method, headers: { ...registeredOnly, ...own }, body, timeoutMs: this.config.deliveryTimeoutMs },
      maskedHeaders: { ...maskHeaders(registeredOnly), ...own },
    };
  }

  /**
   * Email goes to one SMTP server, whose connection pool bounds the concurrency; the per-host
   * limit and circuit breaker are for the many webhook hosts. The Event keeps the SMTP reply as
   * its response, and To and Subject as its request headers.
   */
  private async sendEmail(row: ClaimedAttempt): Promise<void> {
    if (row.email === null) return this.recordWithoutCall(row, 'no email address');
    const started = Date.now();
    let headers: Record<string, string> | null = null;
    let outcome: EmailOutcome;
    try {
      const { subject, text } = renderEmail(JSON.parse(row.body) as DeliveryBody);
      headers = { To: row.email, Subject: subject };
      outcome = { kind: 'reply', ...(await this.mailer.send({ to: row.email, subject, text, messageId: row.messageId })) };
    } catch (error) {
      outcome = { kind: 'error', error: (error as Error).message };
    }
    const now = this.clock.now();
    this.record(row, judgeEmail(row, outcome, this.policy, now), now, {
      statusCode: null,
      responseBody: outcome.kind === 'reply' ? outcome.response : null,
      responseTruncated: false,
      durationMs: Date.now() - started,
      requestHeaders: headers,
    });
  }

  private recordWithoutCall(row: ClaimedAttempt, error: string): void {
    const now = this.clock.now();
    this.results.record({
      eventId: row.id, status: 'failed', statusCode: null, responseBody: null, responseTruncated: false, error,
      durationMs: null, completedAt: now, requestHeaders: null, retry: null, disableTarget: false,
    });
  }

  private recordResult(row: ClaimedAttempt, result: HttpResult, maskedHeaders: Record<string, string> | null): void {
    const now = this.clock.now();
    this.record(row, judgeAttempt(row, result, this.policy, now), now, {
      statusCode: result.kind === 'response' ? result.statusCode : null,
      responseBody: result.kind === 'response' ? result.body : null,
      responseTruncated: result.kind === 'response' && result.truncated,
      durationMs: result.durationMs,
      requestHeaders: maskedHeaders,
    });
  }

  private record(row: ClaimedAttempt, verdict: AttemptVerdict, now: Date, outcome: Pick<AttemptResult, 'statusCode' | 'responseBody' | 'responseTruncated' | 'durationMs' | 'requestHeaders'>): void {
    this.results.record({
      eventId: row.id,
      status: verdict.status,
      ...outcome,
      error: verdict.error,
      completedAt: now,
      retry: verdict.retryInMs === null ? null : { eventId: randomUUID(), at: new Date(now.getTime() + verdict.retryInMs) },
      disableTarget: verdict.disableTarget,
    });
  }
}

function endAttemptSpan(span: TraceSpan, result: HttpResult): void {
  if (result.kind === 'response') {
    span.setAttributes({ 'http.response.status_code': result.statusCode });
    if (result.statusCode < 200 || result.statusCode >= 300) span.fail(`answered ${result.statusCode}`);
  } else {
    span.fail(result.error);
  }
  span.end();
}

function sendsBody(method: HttpMethod): boolean {
  return method !== 'GET' && method !== 'DELETE';
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return url;
  }
}

/** Registered headers minus those Ordercast sets itself, compared case-insensitively. */
function withoutNames(headers: Record<string, string>, names: string[]): Record<string, string> {
  const reserved = new Set(names.map((name) => name.toLowerCase()));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !reserved.has(name.toLowerCase())));
}
