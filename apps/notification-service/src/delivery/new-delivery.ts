import { timeOrderedId, type TraceHeaders } from '@ordercast/platform';
import type { EventTrigger } from '../events/event-types';
import { canonicalJson } from '../signing/detached-jws';
import { CanonicalCauseParts, canonicalDeliveryBody, PublicOrder } from './delivery-body';
import type { DeliveryTarget } from './delivery-target';
import { renderTargetUrl } from './target-url';

/** What caused a delivery: a change event, or an operator's manual send. */
export interface DeliveryCause {
  /** The change event id; null for manual sends, which are never deduplicated. */
  changeId: string | null;
  type: string;
  occurredAt: string;
  /** The order's version the cause describes: the change's, or the latest snapshot's for manual sends. */
  sequence: number;
  merchant: string;
  channel: string;
  orderId: string;
  orderReference: string | null;
  change: unknown;
  order: PublicOrder;
  /** `change` and `order` as canonical text, shared by every delivery of the cause. */
  canonical: CanonicalCauseParts;
  /** The trace context its deliveries continue (the ingest span, a manual send's request); null when not traced. */
  trace: TraceHeaders | null;
}

/** A cause with its canonical parts, which must match its change and order: build causes only here. */
export function deliveryCause(fields: Omit<DeliveryCause, 'canonical' | 'trace'>, trace: TraceHeaders | null = null): DeliveryCause {
  let order: string | undefined;
  return { ...fields, trace, canonical: { change: canonicalJson(fields.change), order: () => (order ??= canonicalJson(fields.order)) } };
}

/** A message and its first attempt, ready to insert. */
export interface NewDelivery {
  messageId: string;
  eventId: string;
  merchant: string;
  orderId: string;
  channel: string;
  changeId: string | null;
  target: DeliveryTarget;
  scope: string;
  type: string;
  url: string | null;
  /**
   * The JSON body text, sent as is on every attempt. RFC 8785 canonical JSON, which is what the
   * detached JWS covers, so each attempt signs these bytes instead of parsing and canonicalising them.
   */
  body: string;
  trigger: EventTrigger;
  createdAt: Date;
  /** Stored with the message: every attempt's span continues it. */
  trace: TraceHeaders | null;
  /**
   * The order's version when the delivery takes its place in the order's sequence to an ordered
   * target (a change to a webhook or email target); null otherwise: unordered targets, poll
   * deliveries (queued in change order already) and manual sends, which are outside the sequence.
   */
  sequence: number | null;
}

export function newDelivery(cause: DeliveryCause, target: DeliveryTarget, scope: string, trigger: EventTrigger, now: Date): NewDelivery {
  const messageId = timeOrderedId(now.getTime());
  const body = canonicalDeliveryBody({
    messageId,
    type: cause.type,
    scope,
    occurredAt: cause.occurredAt,
    sequence: cause.sequence,
    merchant: cause.merchant,
    channel: cause.channel,
    orderId: cause.orderId,
    notification: { id: target.id, reference: target.reference, description: target.description },
    change: cause.change,
    order: cause.order,
    payload: target.payload,
  }, cause.canonical);
  return {
    messageId,
    eventId: timeOrderedId(now.getTime()),
    merchant: cause.merchant,
    orderId: cause.orderId,
    channel: cause.channel,
    changeId: cause.changeId,
    target,
    scope,
    type: cause.type,
    url: deliveryUrl(cause, target),
    body,
    trigger,
    createdAt: now,
    trace: cause.trace,
    sequence: target.ordered && target.delivery !== 'poll' && cause.changeId !== null ? cause.sequence : null,
  };
}

/** Where the Event shows the delivery going: the webhook URL with placeholders filled, `mailto:` for email, `kafka://brokers/topic` for kafka, none for poll. */
function deliveryUrl(cause: DeliveryCause, target: DeliveryTarget): string | null {
  if (target.delivery === 'poll') return null;
  if (target.delivery === 'email') return target.email === null ? null : `mailto:${target.email}`;
  if (target.delivery === 'kafka') return target.sealedKafka === null ? null : `kafka://${target.sealedKafka.brokers.join(',')}/${target.sealedKafka.topic}`;
  return target.url === null ? null : renderTargetUrl(target.url, { orderId: cause.orderId, orderReference: cause.orderReference, merchant: cause.merchant, channel: cause.channel });
}
