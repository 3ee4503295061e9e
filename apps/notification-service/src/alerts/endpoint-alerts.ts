import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { TraceHeaders } from '@ordercast/platform';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { CLOCK, Clock } from '../clock';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { DeliveryAlertSignal, DeliveryIncident } from '../delivery/delivery-alert-signal';
import { DispatchSignal } from '../delivery/dispatch-signal';
import type { NewDelivery } from '../delivery/new-delivery';
import { DeliveriesRepository } from '../events/deliveries.repository';
import { NotificationMetrics } from '../metrics/notification-metrics';
import type { DeliveryTarget } from '../delivery/delivery-target';
import { renderTargetUrl } from '../delivery/target-url';
import { canonicalJson } from '../signing/detached-jws';
import { EnabledSubscription, subscriptionTarget, SubscriptionsRepository } from '../subscriptions/subscriptions.repository';
import { AlertBody, AlertState, AlertType, endpointOrigin, isAlertType, shouldSend } from './alert';

const INCIDENT_ALERTS: Record<DeliveryIncident['kind'], AlertType> = {
  'breaker-opened': 'endpoint.failing',
  'breaker-closed': 'endpoint.recovered',
  disabled: 'endpoint.disabled',
  dead: 'delivery.dead',
};

/** The attempt an incident is about, as stored. */
interface AttemptRow {
  merchant: string;
  order_id: string;
  channel: string;
  message_id: string;
  notification_id: string | null;
  subscription_id: string | null;
  type: string;
  url: string | null;
  attempt: number;
  /** The causing message's trace context, which the alert continues. */
  trace_context: TraceHeaders | null;
}

/**
 * Turns the dispatcher's incidents into alerts for the merchant's alert subscriptions, in one
 * transaction per incident: the durable debounce row is locked and updated (shared by every
 * instance: breakers are per instance, the debounce is not), and each subscription gets one
 * message, delivered like any other (Events, retries, signatures, poll queue).
 *
 * Keys: `endpoint.failing` and `endpoint.recovered` are about a breaker, so per target origin (the
 * breaker's key); `endpoint.disabled` and `delivery.dead` per registration or subscription.
 *
 * Alerts never loop: an alert delivery that dies or is refused with 410 raises nothing (it would
 * only go where the last one failed). A breaker is about an origin, which order deliveries may
 * share with an alert endpoint, so its transitions count whichever delivery caused them; debounced,
 * they are at most one `endpoint.failing` per period even for a broken alert endpoint.
 */
@Injectable()
export class EndpointAlerts implements OnModuleInit {
  private readonly logger = new Logger(EndpointAlerts.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly incidents: DeliveryAlertSignal,
    private readonly deliveries: DeliveriesRepository,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly signal: DispatchSignal,
    private readonly config: NotificationServiceConfig,
    private readonly metrics: NotificationMetrics,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.incidents.listen((incident) => {
      this.raise(incident).catch((error: Error) => this.logger.error({ msg: 'could not raise an alert', kind: incident.kind, eventId: incident.eventId, reason: error.message }));
    });
  }

  /** Resolves with the alert deliveries created (none when debounced, about an alert delivery, or with no subscriber). */
  async raise(incident: DeliveryIncident): Promise<string[]> {
    const [row] = await this.dataSource.query<AttemptRow[]>(
      `SELECT e.merchant, e.order_id, e.channel, e.message_id, e.notification_id, e.subscription_id, e.type, e.attempt, m.url, m.trace_context
       FROM "notifications"."events" e JOIN "notifications"."messages" m ON m.id = e.message_id WHERE e.id = $1`,
      [incident.eventId],
    );
    if (!row || (isAlertType(row.type) && (incident.kind === 'dead' || incident.kind === 'disabled'))) return [];
    const type = INCIDENT_ALERTS[incident.kind];
    const origin = endpointOrigin(row.url);
    const key = incident.kind === 'breaker-opened' || incident.kind === 'breaker-closed' ? origin ?? '' : row.notification_id ?? row.subscription_id ?? '';
    const inserted = await this.dataSource.transaction(async (manager) => {
      const now = this.clock.now();
      if (!(await this.debounce(manager, row.merchant, key, type, now))) return null;
      const subscriptions = await this.subscriptions.findAlertSubscribers(manager, row.merchant, type);
      const deliveries = subscriptions.map((subscription) => alertDelivery(subscription, {
        type,
        occurredAt: now.toISOString(),
        merchant: row.merchant,
        endpoint: { url: origin, notificationId: row.notification_id, subscriptionId: row.subscription_id },
        details: details(incident, row),
      }, row, now));
      return this.deliveries.insert(manager, deliveries);
    });
    this.metrics.alerts.inc({ type, outcome: inserted === null ? 'debounced' : 'sent' });
    if (inserted === null) return [];
    this.signal.notify(inserted.pendingIds);
    this.deliveries.announce(inserted);
    return inserted.eventIds;
  }

  /** Records that the alert happened and says whether to send it, holding the endpoint's rows until the transaction ends. */
  private async debounce(manager: EntityManager, merchant: string, endpoint: string, type: AlertType, now: Date): Promise<boolean> {
    await manager.query(
      `INSERT INTO "notifications"."alert_states" (merchant, endpoint, type, last_seen_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (merchant, endpoint, type) DO NOTHING`,
      [merchant, endpoint, type, now],
    );
    const rows = await manager.query<Array<{ type: string; last_seen_at: Date; last_sent_at: Date | null }>>(
      `SELECT type, last_seen_at, last_sent_at FROM "notifications"."alert_states"
       WHERE merchant = $1 AND endpoint = $2 AND type IN ($3, 'endpoint.failing') ORDER BY type FOR UPDATE`,
      [merchant, endpoint, type],
    );
    const state = (of: string): AlertState | null => {
      const found = rows.find((r) => r.type === of);
      return found ? { lastSeenAt: found.last_seen_at, lastSentAt: found.last_sent_at } : null;
    };
    const send = shouldSend(type, { own: state(type), failing: state('endpoint.failing') }, now, this.config.alertDebounceMs);
    await manager.query(
      `UPDATE "notifications"."alert_states" SET last_seen_at = $4, last_sent_at = CASE WHEN $5 THEN $4 ELSE last_sent_at END
       WHERE merchant = $1 AND endpoint = $2 AND type = $3`,
      [merchant, endpoint, type, now, send],
    );
    return send;
  }
}

function details(incident: DeliveryIncident, row: AttemptRow): Record<string, string | number | null> {
  const about = { eventId: incident.eventId, messageId: row.message_id, orderId: row.order_id, attempt: row.attempt };
  return { ...about, statusCode: incident.statusCode, error: incident.error };
}

/** One alert message to one subscription, shown in Events under the order of the attempt that caused it. */
function alertDelivery(subscription: EnabledSubscription, alert: Omit<AlertBody, 'id'>, row: AttemptRow, now: Date): NewDelivery {
  const messageId = randomUUID();
  const target = subscriptionTarget(subscription);
  return {
    messageId,
    eventId: randomUUID(),
    merchant: alert.merchant,
    orderId: row.order_id,
    channel: row.channel,
    changeId: null,
    target,
    scope: alert.type,
    type: alert.type,
    url: alertUrl(target, row),
    body: canonicalJson({ id: messageId, ...alert }),
    trigger: 'automatic',
    createdAt: now,
    trace: row.trace_context,
    // An alert is no change of the order: it takes no place in the order's sequence to an ordered target.
    sequence: null,
  };
}

/** Where the Event shows the alert going, as for order deliveries: placeholders filled from the attempt that caused it. */
function alertUrl(target: DeliveryTarget, row: AttemptRow): string | null {
  if (target.delivery === 'poll') return null;
  if (target.delivery === 'email') return target.email === null ? null : `mailto:${target.email}`;
  return target.url === null ? null : renderTargetUrl(target.url, { orderId: row.order_id, orderReference: null, merchant: row.merchant, channel: row.channel });
}
