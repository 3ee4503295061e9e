import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { OrderChangeEvent, parseOrderChangeEvent, Registration } from '@ordercast/contracts';
import type { IncomingMessage } from '@ordercast/messaging';
import { endWhenSettled, SECRET_BOX, SecretBox, startProcessSpan, TraceSpan, urlCredentialsSealed } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { CLOCK, Clock } from '../clock';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { publicOrder } from '../delivery/delivery-body';
import { registrationTarget } from '../delivery/delivery-target';
import { DispatchSignal } from '../delivery/dispatch-signal';
import { deliveryCause, newDelivery, NewDelivery } from '../delivery/new-delivery';
import { DeliveriesRepository } from '../events/deliveries.repository';
import { ScopeMatcher } from '../matching/scope-matcher';
import { NotificationMetrics } from '../metrics/notification-metrics';
import { latestSnapshots, SealedChange } from '../orders/order-snapshot.store';
import { coversChannel, EnabledSubscription, subscriptionTarget, SubscriptionsRepository } from '../subscriptions/subscriptions.repository';

/** A change of the batch with its ingest span (null when tracing is off). */
interface IngestedChange extends SealedChange {
  span: TraceSpan | null;
}

/**
 * Turns a batch of change events into pending Events in two round trips: read the merchants'
 * enabled subscriptions, then one statement writing the latest order snapshots and one message
 * and first attempt per match. Resolving only after that statement committed is what lets the
 * bus commit offsets safely; the unique key makes a redelivered batch harmless.
 *
 * As many attempts as the local dispatcher can take now are inserted already leased to it and
 * handed over with what to send: each saves the dispatcher a claim, and the delivery a round trip.
 *
 * Traced, each change gets a consumer span, child of the producer span in its message's headers,
 * ending once the batch committed; its deliveries keep that span's context for their attempts.
 */
@Injectable()
export class OrderEventsIngest {
  private readonly logger = new Logger(OrderEventsIngest.name);
  private readonly matcher = new ScopeMatcher();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly signal: DispatchSignal,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly metrics: NotificationMetrics,
    private readonly config: NotificationServiceConfig,
  ) {}

  async handleBatch(messages: IncomingMessage[]): Promise<void> {
    const changes = messages.flatMap((message) => this.parse(message));
    if (changes.length === 0) return;
    await endWhenSettled(changes.map((change) => change.span), this.ingest(changes));
  }

  private async ingest(changes: IngestedChange[]): Promise<void> {
    const subscriptions = await this.subscriptions.findEnabled([...new Set(changes.map((change) => change.event.merchant))]);
    const now = this.clock.now();
    const deliveries = changes.flatMap((change) => this.deliveriesFor(change, subscriptions, now));
    const lease = { count: this.signal.capacity(), ms: this.config.leaseMs };
    const inserted = await this.deliveries.insert(this.dataSource, deliveries, { snapshots: latestSnapshots(changes), lease });
    // Counted from before the statement, so never later than the lease the database set.
    this.signal.accept(inserted.leased, now.getTime() + lease.ms);
    this.signal.notify(inserted.pendingIds);
    this.deliveries.announce(inserted);
    this.metrics.recordIngested(changes.map((change) => change.event.occurredAt));
  }

  private deliveriesFor(change: IngestedChange, subscriptions: EnabledSubscription[], now: Date): NewDelivery[] {
    const { event, sealedOrder } = change;
    const targets = [
      ...sealedOrder.notifications.map(registrationTarget),
      ...subscriptions.filter((s) => s.merchant === event.merchant && coversChannel(s, event.channel)).map(subscriptionTarget),
    ];
    const matches = this.matcher.match(targets, event.previous, event.order);
    if (matches.length === 0) return [];
    const cause = deliveryCause({
      changeId: event.id,
      type: event.type,
      occurredAt: event.occurredAt,
      merchant: event.merchant,
      channel: event.channel,
      orderId: event.orderId,
      orderReference: event.order.reference,
      change: event.change,
      order: publicOrder(event.order, this.box),
    }, change.span?.headers ?? null);
    return matches.map((match) => newDelivery(cause, match.target, match.label, 'automatic', now));
  }

  /** A message that can never be ingested is logged and skipped rather than blocking its partition forever. */
  private parse(message: IncomingMessage): IngestedChange[] {
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
    if (usable.length < event.order.notifications.length) {
      this.logger.warn({ msg: 'ignoring malformed registrations of a change event', changeId: event.id, orderId: event.orderId, ignored: event.order.notifications.length - usable.length });
    }
    // Sealed by order-service with the shared key: kept as they came, opened only to call the target.
    return [{ event, sealedOrder: { ...event.order, notifications: usable }, span: startProcessSpan('notification-service', message, event.id) }];
  }
}

/**
 * One bad registration must not block its partition (the batch would fail on every redelivery) nor
 * hide the others. Header values, the secret and URL credentials must be sealed: a plaintext one is refused here
 * rather than stored where only sealed values belong.
 */
function isUsableRegistration(registration: unknown, box: SecretBox): registration is Registration {
  if (typeof registration !== 'object' || registration === null) return false;
  const { id, scope, url, headers, secret } = registration as Record<string, unknown>;
  return typeof id === 'string' && Array.isArray(scope) && (url === null || (typeof url === 'string' && urlCredentialsSealed(url, box)))
    && typeof headers === 'object' && headers !== null
    && Object.values(headers).every((value) => typeof value === 'string' && box.isSealed(value))
    && (secret === null || (typeof secret === 'string' && box.isSealed(secret)));
}
