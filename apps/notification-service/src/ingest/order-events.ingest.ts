import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { OrderChangeEvent, parseOrderChangeEvent, Registration, withTargetSecrets } from '@ordercast/contracts';
import type { IncomingMessage } from '@ordercast/messaging';
import { endWhenSettled, SECRET_BOX, SecretBox, sealRemainingUrlCredentials, startProcessSpan, TraceSpan } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { CLOCK, Clock } from '../clock';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { REGISTRATION_DELETED } from '../delivery/attempt-verdict';
import { publicOrder } from '../delivery/delivery-body';
import { DeliveryTarget, registrationTarget } from '../delivery/delivery-target';
import { DispatchSignal } from '../delivery/dispatch-signal';
import { deliveryCause, newDelivery, NewDelivery } from '../delivery/new-delivery';
import { DeliveriesRepository } from '../events/deliveries.repository';
import { Refusal, ScopeMatcher } from '../matching/scope-matcher';
import { NotificationMetrics } from '../metrics/notification-metrics';
import { latestSnapshots, SealedChange } from '../orders/order-snapshot.store';
import { coversChannel, EnabledSubscription, subscriptionTarget } from '../subscriptions/subscriptions.repository';
import { IngestAttempts, MAX_INGEST_ATTEMPTS } from './ingest-attempts';

/** A readable change, the message it came in and its ingest span (null when tracing is off). */
interface ReceivedChange extends SealedChange {
  message: IncomingMessage;
  span: TraceSpan | null;
}

/**
 * Turns a batch of change events into pending Events in two round trips: count the batch's attempts
 * (see below) and read the merchants' enabled subscriptions in one statement, then one writing the
 * latest order snapshots and one message and first attempt per match. Resolving only after that
 * statement committed is what lets the bus commit offsets safely; the unique key makes a redelivered
 * batch harmless.
 *
 * As many attempts as the local dispatcher can take now are inserted already leased to it and
 * handed over with what to send: each saves the dispatcher a claim, and the delivery a round trip.
 * They are chosen round-robin over merchants, so one merchant's burst does not take every place.
 *
 * Every attempt at a change is counted durably first (see {@link IngestAttempts}). When an earlier
 * delivery of a batch did not finish, its changes are ingested one at a time, so only the change
 * that fails keeps counting; after {@link MAX_INGEST_ATTEMPTS} it is parked and the rest of its
 * partition moves on.
 *
 * Traced, each change gets a consumer span, child of the producer span in its message's headers,
 * ending once the batch settled (committed, parked or failed); its deliveries keep that span's
 * context for their attempts.
 */
@Injectable()
export class OrderEventsIngest {
  private readonly logger = new Logger(OrderEventsIngest.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly matcher: ScopeMatcher,
    private readonly attempts: IngestAttempts,
    private readonly deliveries: DeliveriesRepository,
    private readonly signal: DispatchSignal,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: NotificationMetrics,
    private readonly config: NotificationServiceConfig,
  ) {}

  async handleBatch(messages: IncomingMessage[]): Promise<void> {
    const received = messages.flatMap((message) => this.parse(message));
    if (received.length === 0) return;
    await endWhenSettled(received.map((change) => change.span), this.handleChanges(received));
  }

  private async handleChanges(received: ReceivedChange[]): Promise<void> {
    const { earlier, subscriptions } = await this.attempts.begin(received.map((change) => change.event));
    const todo = received.filter((change) => !this.isParked(change, earlier));
    if (todo.length === 0) return;
    if (todo.every((change) => !earlier.has(change.event.id))) return this.ingestBatch(todo, subscriptions);
    // An earlier delivery of these changes did not finish: one at a time, so only the failing one keeps counting.
    for (const change of todo) {
      const unfinished = earlier.get(change.event.id)?.attempts ?? 0;
      if (unfinished >= MAX_INGEST_ATTEMPTS) await this.park(change, unfinished);
      else {
        if (unfinished > 0) await this.attempts.retry(change.event);
        await this.ingestBatch([change], subscriptions);
        await this.attempts.finish(change.event);
      }
    }
  }

  private async ingestBatch(changes: ReceivedChange[], subscriptions: EnabledSubscription[]): Promise<void> {
    const events = changes.map((change) => change.event);
    try {
      await this.ingest(changes, subscriptions);
    } catch (error) {
      await this.attempts.recordFailure(events, (error as Error).message).catch(() => undefined);
      throw error;
    }
    this.attempts.finishLater(events);
  }

  private isParked(change: ReceivedChange, earlier: ReadonlyMap<string, { parked: boolean }>): boolean {
    if (!earlier.get(change.event.id)?.parked) return false;
    this.logger.warn({ msg: 'skipping a parked change delivered again', changeId: change.event.id, orderId: change.event.orderId, merchant: change.event.merchant });
    return true;
  }

  private async park(change: ReceivedChange, attempts: number): Promise<void> {
    const { event, message } = change;
    const reason = (await this.attempts.lastError(event)) ?? `ingest did not finish in ${attempts} attempts: the service stopped or crashed while ingesting it`;
    change.span?.fail(`parked after ${attempts} attempts: ${reason}`);
    // Registrations as ingest keeps them: sealed, the malformed ones left out.
    await this.attempts.park({ event: { ...event, order: change.sealedOrder }, message, attempts, reason });
    this.metrics.parkedChanges.inc();
    this.logger.error({
      msg: 'parked a change whose ingest keeps failing; its partition moves on', changeId: event.id, orderId: event.orderId, merchant: event.merchant,
      type: event.type, topic: message.topic, partition: message.partition, offset: message.offset, attempts, reason,
    });
  }

  private async ingest(changes: ReceivedChange[], subscriptions: EnabledSubscription[]): Promise<void> {
    await this.disableDeleted(changes);
    const now = this.clock.now();
    const deliveries = changes.flatMap((change) => this.deliveriesFor(change, subscriptions, now));
    const offer = this.signal.lease();
    const lease = offer === null ? undefined : { count: offer.count, ms: this.config.leaseMs, owner: offer.owner };
    const inserted = await this.deliveries.insert(this.dataSource, deliveries, { snapshots: latestSnapshots(changes), lease }).catch((error: unknown) => {
      // It may have committed with its answer lost: its leased rows would wait for their lease.
      if (lease) this.signal.leaseUncertain();
      throw error;
    });
    // Counted from before the statement, so never later than the lease the database set.
    this.signal.accept(inserted.leased, now.getTime() + this.config.leaseMs);
    this.signal.notify(inserted.pendingIds);
    this.deliveries.announce(inserted);
    this.metrics.recordIngested(changes.map((change) => change.event.occurredAt));
  }

  /**
   * A registration deleted from its order gets nothing more: recorded disabled (as a 410 would), before
   * this batch's deliveries, so every later attempt of its earlier deliveries (automatic, retried one by
   * one or in bulk) is recorded skipped instead of sent to its URL with its headers and secret. A change
   * that deletes nothing costs nothing here.
   */
  private async disableDeleted(changes: ReceivedChange[]): Promise<void> {
    const deleted = changes.flatMap(({ event }) =>
      event.change.kind === 'notifications' && Array.isArray(event.change.removed)
        ? event.change.removed.filter((id) => typeof id === 'string').map((id) => ({ merchant: event.merchant, id, orderId: event.orderId }))
        : [],
    );
    if (deleted.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO "notifications"."disabled_registrations" (merchant, notification_id, order_id, event_id, reason, disabled_at)
       SELECT v.merchant, v.notification_id, v.order_id, NULL, $4, now()
       FROM unnest($1::text[], $2::text[], $3::text[]) AS v(merchant, notification_id, order_id)
       ON CONFLICT (merchant, notification_id) DO NOTHING`,
      [deleted.map((d) => d.merchant), deleted.map((d) => d.id), deleted.map((d) => d.orderId), REGISTRATION_DELETED],
    );
  }

  private deliveriesFor(change: ReceivedChange, subscriptions: EnabledSubscription[], now: Date): NewDelivery[] {
    const { event, sealedOrder } = change;
    const targets = [
      ...sealedOrder.notifications.map(registrationTarget),
      ...subscriptions.filter((s) => s.merchant === event.merchant && coversChannel(s, event.channel)).map(subscriptionTarget),
    ];
    const { matches, refusals } = this.matcher.evaluate(targets, event.previous, event.order);
    if (refusals.length > 0) this.recordRefusals(event, refusals);
    if (matches.length === 0) return [];
    const cause = deliveryCause({
      changeId: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      sequence: event.sequence,
      merchant: event.merchant,
      channel: event.channel,
      orderId: event.orderId,
      orderReference: event.order.reference,
      change: event.change,
      order: publicOrder(event.order, this.box),
    }, change.span?.headers ?? null);
    return matches.map((match) => newDelivery(cause, match.target, match.label, 'automatic', now));
  }

  /**
   * A watch not evaluated within the matching budget is a non-match; the merchant's operators find
   * out from the metric (one per watch) and one line per change, naming the first such watch and how
   * many there were: a merchant with fifty such watches on an order must not write fifty lines per change.
   */
  private recordRefusals(event: OrderChangeEvent, refusals: Refusal<DeliveryTarget>[]): void {
    for (const refusal of refusals) this.metrics.matchRefusals.inc({ kind: refusal.kind });
    const [{ target, pointer, kind, reason }] = refusals;
    this.logger.warn({
      msg: 'watch recorded as a non-match: over the matching budget', changeId: event.id, orderId: event.orderId, merchant: event.merchant,
      [target.kind === 'registration' ? 'notificationId' : 'subscriptionId']: target.id, reference: target.reference, pointer, kind, reason,
      watchesRefused: refusals.length,
    });
  }

  /** Query values order-service stored in the clear (before every one counted as a credential) are sealed here, before anything is stored. */
  private sealUrl(registration: Registration): Registration {
    return registration.url === null ? registration : { ...registration, url: sealRemainingUrlCredentials(registration.url, this.box) };
  }

  /** A message that can never be ingested is logged and skipped rather than blocking its partition forever. */
  private parse(message: IncomingMessage): ReceivedChange[] {
    let event: OrderChangeEvent;
    try {
      event = parseOrderChangeEvent(message.value);
      if (Number.isNaN(Date.parse(event.occurredAt)) || Number.isNaN(Date.parse(event.order.lastModified))) throw new Error('occurredAt and order.lastModified must be ISO dates');
      if (!Array.isArray(event.order.notifications)) throw new Error('order.notifications must be a list');
    } catch (error) {
      this.logger.error({ msg: 'skipping unreadable change event', topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, reason: (error as Error).message });
      return [];
    }
    const usable = event.order.notifications.filter((registration) => isUsableRegistration(registration, this.box));
    const sealedOrder = { ...event.order, notifications: usable.map((registration) => this.sealUrl(registration)) };
    const ignored = event.order.notifications.length - sealedOrder.notifications.length;
    if (ignored > 0) this.logger.warn({ msg: 'ignoring malformed registrations of a change event', changeId: event.id, orderId: event.orderId, ignored });
    // Sealed by order-service with the shared key: kept as they came, opened only to call the target.
    return [{ event, sealedOrder, message, span: startProcessSpan('notification-service', message, event.id) }];
  }
}

/**
 * One bad registration must not block its partition (the batch would fail on every redelivery) nor
 * hide the others. Header values, the secret and target credentials must be sealed: a plaintext one is
 * refused here rather than stored where only sealed values belong. URL query values are sealed on arrival
 * instead (see `sealUrl`): until every query value counted as a credential, order-service kept most of them as written.
 */
function isUsableRegistration(registration: unknown, box: SecretBox): registration is Registration {
  if (typeof registration !== 'object' || registration === null) return false;
  const { id, scope, url, headers, secret } = registration as Record<string, unknown>;
  return typeof id === 'string' && Array.isArray(scope) && (url === null || typeof url === 'string')
    && typeof headers === 'object' && headers !== null
    && Object.values(headers).every((value) => typeof value === 'string' && box.isSealed(value))
    && (secret === null || (typeof secret === 'string' && box.isSealed(secret)))
    && targetCredentialsSealed(registration as Registration, box);
}

/** Every credential of `auth` and `kafka` (absent in snapshots made before they existed) is a sealed value. */
function targetCredentialsSealed(registration: Registration, box: SecretBox): boolean {
  const { kafka } = registration;
  if (kafka && (!Array.isArray(kafka.brokers) || typeof kafka.topic !== 'string')) return false;
  let sealed = true;
  try {
    withTargetSecrets(registration, (value) => {
      if (typeof value !== 'string' || !box.isSealed(value)) sealed = false;
      return value;
    });
  } catch {
    return false;
  }
  return sealed;
}
