import { Order, PayloadKind, Registration } from '@ordercast/contracts';
import { MASK, maskSealedHeaders, maskTargetConnection, maskUrlPath, type SecretBox } from '@ordercast/platform';
import { canonicalJson } from '../signing/detached-jws';

/** A registration as a receiver sees it inside an order: headers, URL credentials and target credentials masked, signing secret left out. */
export type PublicRegistration = Omit<Registration, 'secret'>;

/** The order as it goes out in a body: nothing a receiver could use to impersonate another receiver. */
export type PublicOrder = Omit<Order, 'notifications'> & { notifications: PublicRegistration[] };

export interface NotificationRef {
  id: string;
  reference: string | null;
  description: string | null;
}

/**
 * The JSON body of a webhook, as in DESIGN section 5. Beside `occurredAt` it carries the order's
 * `lastModified` (DESIGN section 1), also when `payload: metadata` leaves the order out: deliveries
 * are not ordered across retries, and receivers drop stale ones by it.
 */
export interface DeliveryBody {
  /**
   * Ordered targets: the webhook-id of the message sent before this one to the same target for the
   * same order, absent on the first. Added when the message is stored (see DeliveriesRepository).
   */
  after?: string;
  id: string;
  type: string;
  scope: string;
  occurredAt: string;
  /** The order's version after the change (see OrderChangeEvent.sequence); the same on every attempt. */
  sequence: number;
  lastModified: string;
  merchant: string;
  channel: string;
  orderId: string;
  notification: NotificationRef;
  change: unknown;
  order?: PublicOrder;
}

export type DeliveryBodyInput = Omit<DeliveryBody, 'id' | 'lastModified' | 'order'> & {
  messageId: string;
  order: PublicOrder;
  payload: PayloadKind;
};

/**
 * From the order as stored (registrations sealed), as every receiver of the order gets it: only the
 * visible header values are opened; target and token URLs keep their scheme and host only (see
 * maskUrlPath); and what identifies another receiver's account, mailbox or topic (an OAuth2 client id,
 * an email recipient, a Kafka topic and SASL user name) is masked. Third parties such as payment
 * adapters are among the receivers; the merchant's own API shows all of it.
 */
export function publicOrder(order: Order, box: SecretBox): PublicOrder {
  const open = (value: string) => box.decrypt(value, 'header-values');
  return {
    ...order,
    notifications: order.notifications.map(({ secret: _secret, ...registration }) => {
      const masked = maskTargetConnection(registration);
      const auth = masked.auth?.type === 'oauth2_client_credentials' ? { ...masked.auth, tokenUrl: maskUrlPath(masked.auth.tokenUrl), clientId: MASK } : masked.auth;
      const kafka = masked.kafka ? { ...masked.kafka, topic: MASK, sasl: masked.kafka.sasl && { ...masked.kafka.sasl, username: MASK } } : masked.kafka;
      const email = masked.email == null ? masked.email : MASK;
      return { ...masked, auth, kafka, email, url: maskUrlPath(registration.url), headers: maskSealedHeaders(registration.headers, open) };
    }),
  };
}

/** Builds the body; `payload: metadata` leaves the order snapshot out. */
export function buildDeliveryBody(input: DeliveryBodyInput): DeliveryBody {
  const body: DeliveryBody = {
    id: input.messageId,
    type: input.type,
    scope: input.scope,
    occurredAt: input.occurredAt,
    sequence: input.sequence,
    lastModified: input.order.lastModified,
    merchant: input.merchant,
    channel: input.channel,
    orderId: input.orderId,
    notification: { id: input.notification.id, reference: input.notification.reference, description: input.notification.description },
    change: input.change,
  };
  if (input.payload === 'full') body.order = input.order;
  return body;
}

/**
 * The RFC 8785 text of a cause's change and order snapshot, serialised once per cause: one change
 * fans out to several deliveries, and the snapshot is most of each body. The order is serialised
 * on first use, since a cause whose targets all want `payload: metadata` never needs it.
 */
export interface CanonicalCauseParts {
  change: string;
  order(): string;
}

/** A string or null as RFC 8785 writes it: JSON.stringify's form (what `canonicalize` returns for every primitive). */
function text(value: string | null): string {
  return value === null ? 'null' : canonicalJson(value);
}

/**
 * `canonicalJson(buildDeliveryBody(input))`, byte for byte, with the change and order taken from `parts` instead of serialised again.
 * Written out member by member rather than built and sorted: this runs once per delivery. The members stand in RFC 8785 order
 * (names sorted by UTF-16 code units); the body's names are ASCII and need no escaping.
 */
export function canonicalDeliveryBody(input: DeliveryBodyInput, parts: CanonicalCauseParts): string {
  const { notification } = input;
  return `{"change":${parts.change},"channel":${text(input.channel)},"id":${text(input.messageId)},"lastModified":${text(input.order.lastModified)}`
    + `,"merchant":${text(input.merchant)},"notification":{"description":${text(notification.description)},"id":${text(notification.id)},"reference":${text(notification.reference)}}`
    + `,"occurredAt":${text(input.occurredAt)}${input.payload === 'full' ? `,"order":${parts.order()}` : ''},"orderId":${text(input.orderId)}`
    + `,"scope":${text(input.scope)},"sequence":${canonicalJson(input.sequence)},"type":${text(input.type)}}`;
}
