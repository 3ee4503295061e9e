import { Injectable, Logger } from '@nestjs/common';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { NotificationMetrics } from '../metrics/notification-metrics';
import { DispatchSignal } from './dispatch-signal';
import { AttemptResult, Deferral, DispatchRepository } from './dispatch.repository';
import { InstanceHeartbeat } from './instance-heartbeat';

/** Results written per transaction at most; more wait for the next flush. */
const MAX_FLUSH = 500;
/** After a failed write, so an unreachable database is not hammered (and the log not flooded). */
const RETRY_AFTER_FAILURE_MS = 1000;
/** Beyond this, results are dropped while the database is unreachable: their leases expire and the rows are attempted again. */
const MAX_BUFFERED = 20_000;

/**
 * Write-behind buffer for attempt results. Thousands of deliveries a second cannot each have
 * their own transaction, so completions wait up to RESULT_FLUSH_MS (or until MAX_FLUSH have
 * gathered) and are written together. A result lost in a crash only means the row's lease
 * expires and it is delivered again: at-least-once, as promised. Results are written as this
 * instance's (the lease holder's), so one for a row whose lease moved on changes nothing.
 */
@Injectable()
export class ResultWriter {
  private readonly logger = new Logger(ResultWriter.name);
  private results: AttemptResult[] = [];
  private deferrals: Deferral[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastFlushFailed = false;
  /** The ids of the batch being written. */
  private writing: string[] = [];
  /** What waits for an attempt's result to be written ({@link afterWritten}), by event id. */
  private readonly waiting = new Map<string, Array<() => void>>();

  constructor(
    private readonly repository: DispatchRepository,
    private readonly config: NotificationServiceConfig,
    private readonly metrics: NotificationMetrics,
    private readonly instance: InstanceHeartbeat,
    private readonly signal: DispatchSignal,
  ) {}

  /** The attempts whose result or deferral is not written yet (buffered or being written): still leased to this instance. */
  unwritten(): string[] {
    return [...this.writing, ...this.results.map((result) => result.eventId), ...this.deferrals.map((deferral) => deferral.eventId)];
  }

  /**
   * Runs `then` once the result or deferral of `eventId` held here is written, or given up (dropped
   * while the database was unreachable, or left at shutdown); at once when none is held. What is said
   * about an attempt elsewhere (an alert about it) then never gets ahead of its Event: an operator who
   * gets `endpoint.failing` finds the failed attempt in the Events and the endpoints view.
   */
  afterWritten(eventId: string, then: () => void): void {
    if (!this.unwritten().includes(eventId)) return then();
    const waiting = this.waiting.get(eventId);
    if (waiting) waiting.push(then);
    else this.waiting.set(eventId, [then]);
  }

  record(result: AttemptResult): void {
    this.results.push(result);
    this.schedule();
  }

  defer(deferral: Deferral): void {
    this.deferrals.push(deferral);
    this.schedule();
  }

  /** Writes everything buffered (at shutdown). */
  async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    while (this.results.length > 0 || this.deferrals.length > 0) {
      const before = this.results.length + this.deferrals.length;
      await this.flush();
      if (this.results.length + this.deferrals.length >= before) break;
    }
    this.releaseWaiting(new Set());
  }

  private schedule(): void {
    if (this.flushing) return;
    if (this.results.length + this.deferrals.length >= MAX_FLUSH && !this.lastFlushFailed) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.lastFlushFailed ? RETRY_AFTER_FAILURE_MS : this.config.resultFlushMs);
    }
  }

  private flush(): Promise<void> {
    const results = this.results.splice(0, MAX_FLUSH);
    const deferrals = this.deferrals.splice(0, MAX_FLUSH);
    this.writing = [...results, ...deferrals].map((item) => item.eventId);
    this.flushing = this.repository
      .record(results, deferrals, this.instance.id)
      .then((released) => {
        this.signal.notify(released);
        this.lastFlushFailed = false;
        this.metrics.recordAttempts(results);
      })
      .catch((error: Error) => {
        this.lastFlushFailed = true;
        this.logger.error({ msg: 'could not record delivery results; retrying', results: results.length, reason: error.message });
        this.results = [...results, ...this.results].slice(0, MAX_BUFFERED);
        this.deferrals = [...deferrals, ...this.deferrals].slice(0, MAX_BUFFERED);
      })
      .finally(() => {
        this.flushing = null;
        this.writing = [];
        if (this.waiting.size > 0) this.releaseWaiting(new Set(this.unwritten()));
        if (this.results.length > 0 || this.deferrals.length > 0) this.schedule();
      });
    return this.flushing;
  }

  /** Runs what waits for attempts no longer held (`held`: the ids still unwritten). */
  private releaseWaiting(held: ReadonlySet<string>): void {
    for (const [eventId, callbacks] of [...this.waiting]) {
      if (held.has(eventId)) continue;
      this.waiting.delete(eventId);
      for (const callback of callbacks) callback();
    }
  }
}
