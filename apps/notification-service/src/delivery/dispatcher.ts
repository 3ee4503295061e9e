import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { HttpMethod } from '@ordercast/contracts';
import { maskHeaders, maskUrlsInText, SECRET_BOX, SecretBox, SpanKind, startSpan, timeOrderedId, TraceHeaders, TraceSpan } from '@ordercast/platform';
import type { AlertBody } from '../alerts/alert';
import { CLOCK, Clock } from '../clock';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { renderEmail } from '../email/render-email';
import { AttemptVerdict, judgeAttempt } from './attempt-verdict';
import { maskedAuthHeaders, openTargetAuth } from './authenticating-invoker';
import { breakerTransition, DeliveryAlertSignal, DeliveryIncident } from './delivery-alert-signal';
import type { DeliveryBody } from './delivery-body';
import { SIGNER, MessageSigner } from './delivery-signer.port';
import { DispatchQueue, DispatchQueueLimits } from './dispatch-queue';
import { DispatchSignal } from './dispatch-signal';
import { AttemptResult, ClaimedAttempt, DispatchRepository } from './dispatch.repository';
import { EmailOutcome, judgeEmail } from './email-verdict';
import { emailEndpoint, Endpoint, kafkaEndpoint, webhookEndpoint } from './endpoint';
import { CallOutcome, callOutcome, EndpointBreakers } from './endpoint-breakers';
import { HTTP_INVOKER, HttpInvoker, HttpRequest, HttpResult } from './http-invoker';
import { InstanceHeartbeat } from './instance-heartbeat';
import { KafkaSender } from './kafka-sender';
import { LineOverflow, OverflowRow } from './line-overflow';
import { judgeKafka, KafkaOutcome, producedResponseBody } from './kafka-verdict';
import { MAILER, Mailer } from './mailer.port';
import { OpenedSecrets } from './opened-secrets';
import { ResultWriter } from './result-writer';
import { maskSentSecrets, sentSecrets } from './sent-secrets';
import type { RetryPolicy } from './retry-schedule';
import { USER_AGENT } from './user-agent';

/**
 * A full endpoint line gives further rows back for at most this long, rather than to the very next
 * claim. Claims stop when a batch went back whole, so a backlog behind a busy endpoint costs at most
 * a batch of such writes per poll, however large it is.
 */
const FULL_LINE_HOLD_MS = 1000;
/**
 * ...and for at least this long. Between the two, twice the endpoint's typical call time: a line of
 * a fast endpoint drains in a few milliseconds, and holding its overflow for a whole second made a
 * burst to one healthy endpoint (the bench's four targets share one) arrive in one-second steps.
 * Above the result flush interval, so the row is given back before it is claimed again.
 */
const MIN_FULL_LINE_HOLD_MS = 50;
/**
 * A line holds at least PER_TARGET_CONCURRENCY waiting rows, and as many more as its endpoint
 * answers in this long at its typical call time (never more than DISPATCH_CONCURRENCY). A burst to
 * one fast endpoint then waits in memory instead of going back to the database and being claimed
 * again (an UPDATE of every row and a claim that reads their bodies back, for nothing), while a slow
 * endpoint's line stays as short as before. The rows past PER_TARGET_CONCURRENCY do not count
 * against the room for claims ({@link Dispatcher.free}): a line one merchant keeps long, or whose
 * endpoint starts hanging with it long, never stops the claims other merchants' retries need.
 */
const LINE_DRAIN_MS = 250;
/**
 * No merchant holds more than half of the dispatch slots, nor more than half of one host's, however
 * many endpoints or ports it spreads its deliveries over: calls that hang until the timeout (10 s by
 * default) would otherwise keep every slot from the other merchants for that long. Never less than
 * one endpoint's concurrency, so one merchant's one endpoint runs as before. And the last quarter
 * of the slots, and of each host's, is kept for merchants with few calls in flight there (fewer
 * than an eighth of an endpoint's concurrency, at least one), so two merchants at their half each
 * cannot take them all.
 */
export function merchantShares(config: Pick<NotificationServiceConfig, 'dispatchConcurrency' | 'perHostConcurrency' | 'perTargetConcurrency'>): Pick<DispatchQueueLimits, 'perMerchant' | 'perMerchantHost' | 'reserve'> {
  const half = (slots: number) => Math.max(1, Math.floor(slots / 2));
  const perMerchant = Math.max(Math.min(config.perTargetConcurrency, config.dispatchConcurrency), half(config.dispatchConcurrency));
  const perMerchantHost = Math.max(Math.min(config.perTargetConcurrency, config.perHostConcurrency), half(config.perHostConcurrency));
  return {
    perMerchant,
    perMerchantHost,
    reserve: {
      slots: config.dispatchConcurrency,
      reserved: Math.floor(config.dispatchConcurrency / 4),
      reservedPerHost: Math.floor(config.perHostConcurrency / 4),
      light: Math.max(1, Math.floor(config.perTargetConcurrency / 8)),
      // And within a merchant's share of a host, for its endpoints with few calls in flight there (see DispatchQueueLimits.reserve).
      reservedPerMerchantHost: Math.floor(perMerchantHost / 4),
    },
  };
}
/** What a poll claims when the room is taken (see {@link Dispatcher.claimWhileFree}): an eighth of a batch, at least one row. */
function minimumClaim(config: Pick<NotificationServiceConfig, 'dispatchBatch'>): number {
  return Math.max(1, Math.ceil(config.dispatchBatch / 8));
}
/**
 * Rows that do not fit their endpoint's line are kept leased by id ({@link LineOverflow}), as many as
 * the endpoint answers in this long at its typical call time (at least PER_TARGET_CONCURRENCY), and
 * read back when the line has room: a burst that outruns a fast endpoint then costs one read per
 * refill, where giving each row back and claiming it again cost two UPDATEs, repeated every time the
 * line was still full. Bounded, so a slow endpoint's backlog stays in the database, where other
 * instances can take it.
 */
const OVERFLOW_DRAIN_MS = 10_000;
/** Rows kept by id over all lines at most. */
const OVERFLOW_MAX = 10_000;
/**
 * After a statement that may have leased rows to this instance failed (a claim, or ingest inserting
 * rows leased to it), rows leased at least this long ago that it does not hold are given back: a
 * claim whose answer a broken connection lost leaves rows nobody sends until their lease runs out.
 * Rows leased more recently may belong to a claim whose answer is still on its way, so they are left.
 */
const UNCERTAIN_LEASE_GRACE_MS = 5_000;
/** Endpoints whose typical call time is kept (least recently used out). */
const CALL_TIMES_KEPT = 10_000;

/** A webhook request ready to send, with what the Event may show of it and the secrets it carries. */
interface PreparedRequest {
  request: HttpRequest;
  maskedHeaders: Record<string, string>;
  secrets: string[];
}

/** A leased attempt this instance holds in memory, waiting for a slot or being sent. */
interface Held {
  attempt: ClaimedAttempt;
  endpoint: Endpoint;
  /** Epoch ms, counted from before the statement that set or renewed the lease, so never later than the database's. */
  leasedUntil: number;
}

/**
 * Delivers pending webhook, email and kafka Events. Rows are leased from the database in batches, a fair
 * share per merchant, so several instances share the work; each lease names its holder, whose
 * heartbeat keeps it (a dead instance's rows are released within seconds). Calls run with bounded
 * concurrency overall, per merchant endpoint and per host, and their results are written in batches.
 *
 * Leased rows wait in a {@link DispatchQueue}, one line per merchant endpoint served round-robin;
 * a row takes one of the DISPATCH_CONCURRENCY slots only when its endpoint and host have room, so a
 * slow endpoint's backlog never holds the slots others need. Breakers are per endpoint too
 * ({@link EndpointBreakers}). Held leases are renewed every quarter lease, which is also the check
 * that a waiting row is still this instance's before it is sent.
 *
 * Work arrives two ways: the ids the local ingest just committed (no polling delay), and a poll
 * every DISPATCH_POLL_MS for everything else that is due (retries, other instances' leftovers).
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(Dispatcher.name);
  private readonly breakers: EndpointBreakers;
  private readonly queue: DispatchQueue<Held>;
  private readonly policy: RetryPolicy;
  private readonly opened: OpenedSecrets;
  private readonly signalled = new Set<string>();
  /** Every attempt leased to this instance that is in memory: waiting in the queue or being sent. */
  private readonly held = new Map<string, Held>();
  /** Leased rows past their line's room, kept by id until it has room again. */
  private readonly overflow = new LineOverflow();
  private readonly running = new Set<Promise<void>>();
  private poller: NodeJS.Timeout | null = null;
  private renewer: NodeJS.Timeout | null = null;
  private renewing: Promise<void> | null = null;
  private filling: Promise<void> | null = null;
  private fillAgain = false;
  /** The poll timer asked for due rows (retries, rows of other instances, signals lost). */
  private pollDue = true;
  /** Typical call time per endpoint key (moving average, ms), which sets how long a full line's overflow is held. */
  private readonly callMs = new Map<string, number>();
  /** The claim that picks up rows a full line gave back, when one is due before the next poll. */
  private recheck: { at: number; timer: NodeJS.Timeout } | null = null;
  /** The last poll queued rows, so more may be due right now. */
  private backlog = false;
  /** When a statement that may have leased rows to this instance failed, until the rows it does not hold are given back. */
  private uncertainSince: number | null = null;
  private releasingUnheld = false;
  private stopped = true;
  private pumpScheduled = false;

  constructor(
    private readonly repository: DispatchRepository,
    private readonly results: ResultWriter,
    private readonly signal: DispatchSignal,
    private readonly heartbeat: InstanceHeartbeat,
    private readonly alerts: DeliveryAlertSignal,
    private readonly config: NotificationServiceConfig,
    private readonly kafka: KafkaSender,
    @Inject(HTTP_INVOKER) private readonly invoker: HttpInvoker,
    @Inject(SIGNER) private readonly signer: MessageSigner,
    @Inject(MAILER) private readonly mailer: Mailer,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.breakers = new EndpointBreakers({
      failureThreshold: config.circuitFailureThreshold,
      cooldownMs: config.circuitCooldownMs,
      hostMerchants: config.circuitHostMerchants,
    });
    this.queue = new DispatchQueue({
      perEndpoint: config.perTargetConcurrency,
      perHost: config.perHostConcurrency,
      waitingPerEndpoint: config.perTargetConcurrency,
      ...merchantShares(config),
    });
    this.policy = { delaysMs: config.retryDelaysMs, retryAfterMaxMs: config.retryAfterMaxMs };
    this.opened = new OpenedSecrets(box);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat.start({
      beat: () => {
        this.pump();
        this.releaseUnheld();
      },
      leasesLost: () => this.dropHeld(),
      released: () => {
        this.pollDue = true;
        this.fill();
      },
    });
    this.stopped = false;
    this.signal.listen({
      notify: (ids) => {
        if (this.stopped) return;
        for (const id of ids) this.signalled.add(id);
        this.fill();
      },
      lease: () => ({
        count: this.stopped ? 0
          : Math.max(0, this.config.dispatchConcurrency + this.config.dispatchBatch - this.running.size - this.queue.size) + Math.max(0, OVERFLOW_MAX - this.overflow.size),
        owner: this.heartbeat.id,
      }),
      accept: (attempts, leasedUntil) => {
        if (this.stopped) return this.release(attempts);
        this.admit(attempts, leasedUntil);
      },
      leaseUncertain: () => this.leaseUncertain(),
    });
    this.poller = setInterval(() => {
      this.pollDue = true;
      this.fill();
    }, this.config.dispatchPollMs);
    this.renewer = setInterval(() => {
      this.renewing ??= this.renew().finally(() => (this.renewing = null));
    }, Math.max(100, Math.floor(this.config.leaseMs / 4)));
    this.fill();
  }

  /**
   * Stops claiming, gives back what waits in the queue, lets the calls in flight finish, writes
   * their results, and removes the heartbeat (releasing any lease still held).
   */
  async onModuleDestroy(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    if (this.renewer) clearInterval(this.renewer);
    if (this.recheck) clearTimeout(this.recheck.timer);
    this.recheck = null;
    this.release(this.queue.remove().map((held) => this.forget(held)));
    // Still leased to this instance: unregistering releases them.
    this.overflow.clear();
    await this.filling;
    await this.renewing;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
    await this.results.drain();
    await this.heartbeat.stop();
  }

  private fill(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.claimWhileFree()
      .catch((error: Error) => {
        this.leaseUncertain();
        this.logger.error({ msg: 'could not claim due deliveries', reason: error.message });
      })
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
    const owner = this.heartbeat.id;
    while (!this.stopped) {
      await this.refill(owner);
      if (this.signalled.size > 0 && this.free() > 0) {
        const ids = [...this.signalled].slice(0, Math.min(this.free(), this.config.dispatchBatch));
        for (const id of ids) this.signalled.delete(id);
        const leasedUntil = this.clock.now().getTime() + this.config.leaseMs;
        this.admit(await this.repository.claimByIds(ids, this.config.leaseMs, owner), leasedUntil);
      }
      const room = this.free();
      if (this.pollDue || (this.backlog && room > 0)) {
        this.pollDue = false;
        // With the room taken, maybe by one merchant's rows waiting for its own endpoints, a poll still
        // claims a few due rows, a share per merchant, so the others' retries start (their endpoints have
        // room) while that merchant's go back; once per poll, so it never turns into a loop.
        const limit = room > 0 ? Math.min(room, this.config.dispatchBatch) : minimumClaim(this.config);
        const leasedUntil = this.clock.now().getTime() + this.config.leaseMs;
        const queued = this.admit(await this.repository.claimDue(limit, this.config.leaseMs, owner), leasedUntil);
        // Rows that all went back (full lines, open circuits) mean the due rows are for busy endpoints:
        // claiming on at once would only give the next batch back too, so the next poll or free slot claims again.
        this.backlog = room > 0 && queued > 0;
      }
      if (this.free() <= 0 || (this.signalled.size === 0 && !this.backlog)) return;
    }
  }

  private leaseUncertain(): void {
    this.uncertainSince ??= this.clock.now().getTime();
  }

  /**
   * On a heartbeat, once {@link UNCERTAIN_LEASE_GRACE_MS} has passed since a statement that may have
   * leased rows to this instance failed, and no claim is in flight: gives back the rows leased to it
   * that it does not hold, so the next poll (here or elsewhere) sends them.
   */
  private releaseUnheld(): void {
    const since = this.uncertainSince;
    if (since === null || this.stopped || this.filling || this.releasingUnheld) return;
    if (this.clock.now().getTime() - since < UNCERTAIN_LEASE_GRACE_MS) return;
    this.releasingUnheld = true;
    // Also the rows whose result is not written yet: sent already, they must not go out again.
    const held = [...this.held.keys(), ...this.overflow.ids(), ...this.results.unwritten()];
    this.repository.releaseUnheld(this.heartbeat.id, held, this.config.leaseMs, UNCERTAIN_LEASE_GRACE_MS)
      .then((released) => {
        if (this.uncertainSince === since) this.uncertainSince = null;
        if (released === 0) return;
        this.logger.warn({ msg: 'gave back rows leased to this instance by a statement whose answer was lost', rows: released });
        this.pollDue = true;
        this.fill();
      })
      .catch((error: Error) => this.logger.warn({ msg: 'could not give back rows of a lost claim; trying again at the next heartbeat', reason: error.message }))
      .finally(() => (this.releasingUnheld = false));
  }

  /**
   * Room for claims: rows waiting in the queue count, so memory and leases held stay bounded, except
   * a long line's rows past its usual room (see {@link LINE_DRAIN_MS}), which only ingest hands over.
   */
  private free(): number {
    return this.config.dispatchConcurrency - this.running.size - (this.queue.size - this.queue.pastRoom);
  }

  /**
   * Reads back the rows kept in {@link overflow} for every line that is down to half its room or
   * less, as many as fit; a row whose lease was lost meanwhile is not read, so not sent.
   */
  private async refill(owner: string): Promise<void> {
    const taken: Array<{ endpoint: Endpoint; row: OverflowRow }> = [];
    for (const { endpoint, count } of [...this.overflow.endpoints()]) {
      const room = this.lineRoom(endpoint);
      const waiting = this.queue.waitingFor(endpoint.key);
      if (waiting > room / 2) continue;
      for (const row of this.overflow.take(endpoint.key, Math.min(count, room - waiting))) taken.push({ endpoint, row });
    }
    if (taken.length === 0) return;
    let attempts: ClaimedAttempt[];
    try {
      attempts = await this.repository.readLeased(taken.map(({ row }) => row.id), owner);
    } catch (error) {
      for (const { endpoint, row } of taken) this.overflow.add(endpoint, row);
      throw error;
    }
    this.admit(attempts, Math.min(...taken.map(({ row }) => row.leasedUntil)), true);
  }

  /**
   * Takes leased attempts in: what needs no call is recorded at once, a row for a paused endpoint
   * or host is given back until its circuit lets calls through, and one whose endpoint line is full
   * (or has rows kept before it) is kept by id in {@link overflow} while that has room, else given back
   * for a moment; the rest wait in the queue. Rows read back from the overflow (`refill`) go before
   * those still kept. Returns how many were queued.
   */
  private admit(attempts: ClaimedAttempt[], leasedUntil: number, refill = false): number {
    const now = this.clock.now().getTime();
    let queued = 0;
    let soonestHold: number | null = null;
    for (const attempt of attempts) {
      if (attempt.skipReason !== null) {
        this.recordWithoutCall(attempt, attempt.skipReason);
        continue;
      }
      if (attempt.delivery === 'email' ? attempt.email === null : attempt.url === null) {
        this.recordWithoutCall(attempt, attempt.delivery === 'email' ? 'no email address' : 'no target URL');
        continue;
      }
      const endpoint = attempt.delivery === 'email' ? emailEndpoint(attempt.merchant)
        : attempt.delivery === 'kafka' ? kafkaEndpoint(attempt.merchant, attempt.url as string)
        : webhookEndpoint(attempt.merchant, attempt.url as string);
      const openUntil = attempt.delivery === 'email' ? null : this.breakers.openUntil(endpoint, now);
      if (openUntil !== null) {
        this.results.defer({ eventId: attempt.id, until: new Date(openUntil) });
        continue;
      }
      const held: Held = { attempt, endpoint, leasedUntil };
      // Behind rows kept for its line, a row is kept too, so the line is served oldest first.
      const behindKept = !refill && this.overflow.count(endpoint.key) > 0;
      if (behindKept && this.keep(endpoint, attempt.id, leasedUntil)) continue;
      if (!this.queue.push(endpoint, held, this.lineRoom(endpoint))) {
        if (this.keep(endpoint, attempt.id, leasedUntil)) continue;
        const hold = this.fullLineHold(endpoint);
        this.results.defer({ eventId: attempt.id, until: new Date(now + hold) });
        soonestHold = Math.min(soonestHold ?? hold, hold);
        continue;
      }
      this.held.set(attempt.id, held);
      queued += 1;
    }
    this.pump();
    if (soonestHold !== null && soonestHold < this.config.dispatchPollMs) this.claimAgainIn(soonestHold);
    return queued;
  }

  /** How many rows `endpoint`'s line may hold waiting: see {@link LINE_DRAIN_MS}. */
  private lineRoom(endpoint: Endpoint): number {
    return this.answeredIn(endpoint, LINE_DRAIN_MS, this.config.dispatchConcurrency);
  }

  /**
   * How many calls `endpoint` answers in `ms` at PER_TARGET_CONCURRENCY and its typical call time,
   * at least PER_TARGET_CONCURRENCY (also while its call time is unknown) and at most `most`.
   */
  private answeredIn(endpoint: Endpoint, ms: number, most: number): number {
    const least = this.config.perTargetConcurrency;
    const typical = this.callMs.get(endpoint.key);
    if (typical === undefined) return least;
    return Math.max(least, Math.min(most, Math.floor((least * ms) / Math.max(1, typical))));
  }

  /** Keeps a leased row by id in {@link overflow}, if `endpoint` and the instance have room there. */
  private keep(endpoint: Endpoint, id: string, leasedUntil: number): boolean {
    if (this.overflow.count(endpoint.key) >= this.overflowRoom(endpoint) || this.overflow.size >= OVERFLOW_MAX) return false;
    this.overflow.add(endpoint, { id, leasedUntil });
    return true;
  }

  /** How many rows past its line's room `endpoint` may have kept by id: see {@link OVERFLOW_DRAIN_MS}. */
  private overflowRoom(endpoint: Endpoint): number {
    return this.answeredIn(endpoint, OVERFLOW_DRAIN_MS, OVERFLOW_MAX);
  }

  /** How long a row for `endpoint`'s full line is given back for: see {@link MIN_FULL_LINE_HOLD_MS}. */
  private fullLineHold(endpoint: Endpoint): number {
    const typical = this.callMs.get(endpoint.key);
    if (typical === undefined) return FULL_LINE_HOLD_MS;
    return Math.min(FULL_LINE_HOLD_MS, Math.max(MIN_FULL_LINE_HOLD_MS, Math.ceil(2 * typical)));
  }

  private noteCallTime(endpoint: Endpoint, durationMs: number): void {
    const before = this.callMs.get(endpoint.key);
    this.callMs.delete(endpoint.key);
    this.callMs.set(endpoint.key, before === undefined ? durationMs : 0.8 * before + 0.2 * durationMs);
    if (this.callMs.size > CALL_TIMES_KEPT) this.callMs.delete(this.callMs.keys().next().value as string);
  }

  /** Claims due rows in `ms` (plus the result flush that gives rows back), unless a claim is already set for sooner. */
  private claimAgainIn(ms: number): void {
    const at = Date.now() + ms + this.config.resultFlushMs;
    if (this.stopped || (this.recheck !== null && this.recheck.at <= at)) return;
    if (this.recheck) clearTimeout(this.recheck.timer);
    const timer = setTimeout(() => {
      this.recheck = null;
      this.pollDue = true;
      this.fill();
    }, at - Date.now());
    timer.unref();
    this.recheck = { at, timer };
  }

  /**
   * Starts waiting rows while there are free slots, in the queue's fair order. Nothing starts
   * while this instance's heartbeat is overdue (others may have released its leases); the next
   * beat resumes. A row whose lease is half gone is given back rather than risk it expiring
   * mid-call while another instance sends it too.
   */
  private pump(): void {
    if (this.stopped || !this.heartbeat.alive()) return;
    while (this.running.size < this.config.dispatchConcurrency) {
      const next = this.queue.next();
      if (next === null) return;
      const { endpoint, item: held } = next;
      const now = this.clock.now().getTime();
      if (held.leasedUntil - now <= this.config.leaseMs / 2) {
        this.queue.done(endpoint);
        this.release([this.forget(held)]);
        continue;
      }
      if (held.attempt.delivery !== 'email') {
        const decision = this.breakers.decide(endpoint, now);
        if (!decision.allowed) {
          this.queue.done(endpoint);
          this.forget(held);
          this.results.defer({ eventId: held.attempt.id, until: new Date(decision.retryAt) });
          continue;
        }
      }
      this.start(held);
    }
  }

  /**
   * Pumps once the I/O callbacks of this turn of the event loop ran, for every call that ended in it.
   * Calls then start in batches rather than one per answer, and a batch's signatures are computed one
   * after the other: an ES256 signature cost about 70 µs between the parsing and writing of HTTP
   * traffic (its tables out of the CPU cache) against 25 µs in a row.
   */
  private pumpSoon(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private start(held: Held): void {
    const task = this.send(held)
      .catch((error: Error) => this.logger.error({ msg: 'delivery attempt crashed; its lease will expire and it is retried', eventId: held.attempt.id, reason: error.message }))
      .finally(() => {
        this.forget(held);
        this.queue.done(held.endpoint);
        this.running.delete(task);
        this.pumpSoon();
        this.onSlotFreed(held.endpoint);
      });
    this.running.add(task);
  }

  private send(held: Held): Promise<void> {
    if (held.attempt.delivery === 'email') return this.sendEmail(held.attempt);
    if (held.attempt.delivery === 'kafka') return this.sendToKafka(held.attempt, held.endpoint);
    return this.attempt(held.attempt, held.endpoint);
  }

  private forget(held: Held): ClaimedAttempt {
    this.held.delete(held.attempt.id);
    return held.attempt;
  }

  /** Gives leased attempts back unattempted: pending, due at once, for any instance. */
  private release(attempts: ClaimedAttempt[]): void {
    const now = this.clock.now();
    for (const attempt of attempts) this.results.defer({ eventId: attempt.id, until: now });
  }

  /**
   * Extends every lease held in memory (waiting or in flight: a long call keeps its row). A row the
   * answer leaves out is no longer this instance's: if it still waits, it is dropped unsent.
   */
  private async renew(): Promise<void> {
    const kept = this.overflow.ids();
    const ids = [...this.held.keys(), ...kept];
    if (ids.length === 0) return;
    const leasedUntil = this.clock.now().getTime() + this.config.leaseMs;
    let renewed: Set<string>;
    try {
      renewed = await this.repository.renew(ids, this.config.leaseMs, this.heartbeat.id);
    } catch (error) {
      this.logger.error({ msg: 'could not renew leases; rows whose lease runs low are given back', rows: ids.length, reason: (error as Error).message });
      return;
    }
    const lost = new Set<string>();
    for (const id of ids) {
      const held = this.held.get(id);
      if (!held) continue;
      if (renewed.has(id)) held.leasedUntil = leasedUntil;
      else lost.add(id);
    }
    const lostKept = this.overflow.renewed(kept, renewed, leasedUntil);
    if (lost.size === 0 && lostKept === 0) return;
    for (const id of lost) this.held.delete(id);
    const dropped = this.queue.remove((held) => lost.has(held.attempt.id));
    this.logger.warn({ msg: 'leases lost (completed, released or taken by another instance); not sending those rows', rows: lost.size + lostKept, waiting: dropped.length + lostKept });
  }

  /** This instance was taken for dead: everything waiting is dropped unsent (calls in flight cannot be recalled; their results will not be written). */
  private dropHeld(): void {
    this.queue.remove();
    this.held.clear();
    this.overflow.clear();
  }

  /**
   * Refills in batches rather than one row per completion, which would cost a query per delivery:
   * claims once a batch's worth of slots is free, rows kept for `endpoint` once its line is down to half.
   */
  private onSlotFreed(endpoint: Endpoint): void {
    const free = this.free();
    const worthAQuery = free >= Math.min(this.config.dispatchBatch, Math.ceil(this.config.dispatchConcurrency / 4)) || this.running.size === 0;
    const refill = this.overflow.count(endpoint.key) > 0 && this.queue.waitingFor(endpoint.key) <= this.lineRoom(endpoint) / 2;
    if (((this.backlog || this.signalled.size > 0) && worthAQuery) || refill) this.fill();
  }

  /** Traced, the attempt is a client span, child of the message's trace context, and the target gets its `traceparent`. */
  private async attempt(row: ClaimedAttempt, endpoint: Endpoint): Promise<void> {
    const now = this.clock.now();
    const span = startSpan('notification-service', row.method, SpanKind.CLIENT, row.traceContext, {
      'http.request.method': row.method, 'server.address': endpoint.host, 'ordercast.event_id': row.id, 'ordercast.webhook_id': row.messageId, 'ordercast.attempt': row.attempt,
    });
    let prepared: PreparedRequest;
    try {
      prepared = await this.prepare(row, row.url as string, now, span?.headers);
    } catch (error) {
      // Not the target's fault (key store unreachable, undecryptable secret): no circuit failure.
      const result: HttpResult = { kind: 'error', error: `could not prepare the request: ${(error as Error).message}`, durationMs: 0 };
      if (span) endAttemptSpan(span, result, []);
      return this.recordResult(row, result, null, []);
    }
    const result = await this.invoker.invoke(prepared.request);
    this.noteCallTime(endpoint, result.durationMs);
    if (span) endAttemptSpan(span, result, prepared.secrets);
    this.recordResult(row, result, prepared.maskedHeaders, prepared.secrets);
    this.recordCall(row, endpoint, callOutcome(result), this.clock.now().getTime(), incidentOutcome(result, prepared.secrets));
  }

  /** An alert about an attempt goes out once the attempt's result is written (see ResultWriter.afterWritten). */
  private raiseOnceWritten(incident: DeliveryIncident): void {
    this.results.afterWritten(incident.eventId, () => this.alerts.raise(incident));
  }

  /** Counts a call against its endpoint's breaker; an opened or closed breaker is an incident for the alerts. */
  private recordCall(row: ClaimedAttempt, endpoint: Endpoint, outcome: CallOutcome, at: number, incident: Pick<DeliveryIncident, 'statusCode' | 'error'>): void {
    const before = this.breakers.endpointState(endpoint, at);
    this.breakers.record(endpoint, outcome, at);
    const transition = breakerTransition(before, this.breakers.endpointState(endpoint, at));
    if (transition !== null) this.raiseOnceWritten({ kind: transition, eventId: row.id, ...incident });
  }

  private async prepare(row: ClaimedAttempt, url: string, now: Date, trace: TraceHeaders | undefined): Promise<PreparedRequest> {
    // Only the target itself gets the URL's credentials and the header values in the clear.
    const target = this.opened.openUrl(url);
    const registered = this.opened.openValues(row.sealedHeaders, 'header-values');
    const secret = row.sealedSecret === null ? null : this.opened.open(row.sealedSecret, 'signing-secrets');
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
    const auth = openTargetAuth(row.sealedAuth, this.box);
    const maskedHeaders = { ...maskHeaders(registeredOnly), ...maskedAuthHeaders(auth), ...own };
    return {
      request: {
        url: target, method: row.method, headers: { ...registeredOnly, ...own }, body, timeoutMs: this.config.deliveryTimeoutMs,
        ...(auth === null ? {} : { auth: { merchant: row.merchant, credentials: auth } }),
      },
      maskedHeaders,
      secrets: sentSecrets({ maskedHeaders, sentHeaders: registeredOnly, url: target, secret, auth }),
    };
  }

  /**
   * Email goes to one SMTP server, whose connection pool bounds the concurrency; circuit breakers
   * are for the many webhook hosts. The Event keeps the SMTP reply as its response, and To and
   * Subject as its request headers.
   */
  private async sendEmail(row: ClaimedAttempt): Promise<void> {
    const started = Date.now();
    let headers: Record<string, string> | null = null;
    let outcome: EmailOutcome;
    try {
      const { subject, text } = renderEmail(JSON.parse(row.body) as DeliveryBody | AlertBody);
      headers = { To: row.email as string, Subject: subject };
      outcome = { kind: 'reply', ...(await this.mailer.send({ to: row.email as string, subject, text, messageId: row.messageId })) };
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

  /**
   * Kafka destinations get the webhook's body and headers as a record (see KafkaSender). The Event's
   * status code stays null, as Kafka has none; its response body is the record's partition and offset.
   * A cluster that cannot take records is unreachable to the breakers, like a webhook host without an answer.
   * Traced, the attempt is a producer span, child of the message's trace context, whose `traceparent` the record carries.
   */
  private async sendToKafka(row: ClaimedAttempt, endpoint: Endpoint): Promise<void> {
    const started = Date.now();
    const now = this.clock.now();
    const span = startSpan('notification-service', 'send', SpanKind.PRODUCER, row.traceContext, {
      'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'server.address': endpoint.host, 'ordercast.event_id': row.id, 'ordercast.webhook_id': row.messageId, 'ordercast.attempt': row.attempt,
    });
    const sent = await this.kafka.send(row, () => this.prepare({ ...row, method: 'POST' }, row.url ?? '', now, span?.headers));
    if (span) endKafkaSpan(span, sent.outcome);
    const completed = this.clock.now();
    this.record(row, judgeKafka(row, sent.outcome, this.policy, completed), completed, {
      statusCode: null,
      responseBody: producedResponseBody(sent.outcome),
      responseTruncated: false,
      durationMs: Date.now() - started,
      requestHeaders: sent.maskedHeaders,
    });
    if (sent.askedCluster) {
      const error = sent.outcome.kind === 'produced' ? null : sent.outcome.error;
      this.recordCall(row, endpoint, error === null ? 'answered' : 'unreachable', completed.getTime(), { statusCode: null, error });
    }
  }

  /**
   * An attempt that cannot be made (its registration was disabled by a 410, it has no URL or email
   * address) ends its delivery: nothing is scheduled after it, so an automatic one is `dead`, as
   * the 410 that disabled the registration was; a manual one is `failed`, as a manual attempt
   * that fails always is.
   */
  private recordWithoutCall(row: ClaimedAttempt, error: string): void {
    const now = this.clock.now();
    this.results.record({
      eventId: row.id, status: row.trigger === 'automatic' ? 'dead' : 'failed', statusCode: null, responseBody: null, responseTruncated: false, error,
      durationMs: null, completedAt: now, requestHeaders: null, movedTo: null, retry: null, disableTarget: false, inSequence: row.inSequence,
    });
  }

  /**
   * The one point where a webhook attempt's outcome is stored: what the target said goes through
   * {@link maskSentSecrets} first, and the error (which may quote a URL the target named) has the
   * query values of every URL in it masked too.
   */
  private recordResult(row: ClaimedAttempt, result: HttpResult, maskedHeaders: Record<string, string> | null, secrets: readonly string[]): void {
    const now = this.clock.now();
    const verdict = judgeAttempt(row, result, this.policy, now);
    const error = verdict.error === null ? null : maskUrlsInText(maskSentSecrets(verdict.error, secrets));
    this.record(row, { ...verdict, error }, now, {
      statusCode: result.kind === 'response' ? result.statusCode : null,
      responseBody: result.kind === 'response' ? maskSentSecrets(result.body, secrets, result.truncated) : null,
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
      movedTo: row.targetMoved ? { url: row.url, method: row.method } : null,
      retry: verdict.retryInMs === null ? null : { eventId: timeOrderedId(now.getTime()), at: new Date(now.getTime() + verdict.retryInMs) },
      disableTarget: verdict.disableTarget,
      inSequence: row.inSequence,
    });
    if (verdict.status === 'dead' || verdict.disableTarget) {
      this.raiseOnceWritten({ kind: verdict.disableTarget ? 'disabled' : 'dead', eventId: row.id, statusCode: outcome.statusCode, error: verdict.error });
    }
  }
}

/** What an alert may say of a call: its status, or its error masked like the Event's (alerts leave to other receivers). */
function incidentOutcome(result: HttpResult, secrets: readonly string[]): { statusCode: number | null; error: string | null } {
  return result.kind === 'response' ? { statusCode: result.statusCode, error: null } : { statusCode: null, error: maskUrlsInText(maskSentSecrets(result.error, secrets)) };
}

/** The span leaves the process for a collector, so its error is masked as the Event's is. */
function endAttemptSpan(span: TraceSpan, result: HttpResult, secrets: readonly string[]): void {
  if (result.kind === 'response') {
    span.setAttributes({ 'http.response.status_code': result.statusCode });
    if (result.statusCode < 200 || result.statusCode >= 300) span.fail(`answered ${result.statusCode}`);
  } else {
    span.fail(maskUrlsInText(maskSentSecrets(result.error, secrets)));
  }
  span.end();
}

function endKafkaSpan(span: TraceSpan, outcome: KafkaOutcome): void {
  if (outcome.kind === 'error') span.fail(outcome.error);
  span.end();
}

function sendsBody(method: HttpMethod): boolean {
  return method !== 'GET' && method !== 'DELETE';
}

/** Registered headers minus those Ordercast sets itself, compared case-insensitively. */
function withoutNames(headers: Record<string, string>, names: string[]): Record<string, string> {
  const reserved = new Set(names.map((name) => name.toLowerCase()));
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !reserved.has(name.toLowerCase())));
}
