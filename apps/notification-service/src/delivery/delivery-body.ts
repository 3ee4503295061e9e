import type { Order, PayloadKind, Registration } from '@ordercast/contracts';
import { maskHeaders } from '@ordercast/platform';

/** A registration as a receiver sees it inside an order: headers masked, signing secret left out. */
export type PublicRegistration = Omit<Registration, 'secret'>;

/** The order as it goes out in a body: nothing a receiver could use to impersonate another receiver. */
export type PublicOrder = Omit<Order, 'notifications'> & { notifications: PublicRegistration[] };

export interface NotificationRef {
  id: string;
  reference: string | null;
  description: string | null;
}

/** The JSON body of a webhook, as in DESIGN section 5. */
export interface DeliveryBody {
  id: string;
  type: string;
  scope: string;
  occurredAt: string;
  merchant: string;
  channel: string;
  orderId: string;
  notification: NotificationRef;
  change: unknown;
  order?: PublicOrder;
}

export type DeliveryBodyInput = Omit<DeliveryBody, 'id' | 'order'> & {
  messageId: string;
  order: PublicOrder;
  payload: PayloadKind;
};

export function publicOrder(order: Order): PublicOrder {
  return {
    ...order,
    notifications: order.notifications.map(({ secret: _secret, ...registration }) => ({ ...registration, headers: maskHeaders(registration.headers) })),
  };
}

/** Builds the body; `payload: metadata` leaves the order snapshot out. */
export function buildDeliveryBody(input: DeliveryBodyInput): DeliveryBody {
  const body: DeliveryBody = {
    id: input.messageId,
    type: input.type,
    scope: input.scope,
    occurredAt: input.occurredAt,
    merchant: input.merchant,
    channel: input.channel,
    orderId: input.orderId,
    notification: { id: input.notification.id, reference: input.notification.reference, description: input.notification.description },
    change: input.change,
  };
  if (input.payload === 'full') body.order = input.order;
  return body;
}
