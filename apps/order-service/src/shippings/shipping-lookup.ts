import { NotFoundException } from '@nestjs/common';
import type { Order, Registration, Shipping } from '@ordercast/contracts';

/** A new shipping as the API returns it: with the notifications registered along with it. */
export type RegisteredShipping = Shipping & { notifications: Registration[] };

export function findShipping(order: Order, shippingId: string): Shipping {
  const shipping = order.shippings.find((candidate) => candidate.id === shippingId);
  if (!shipping) throw new NotFoundException(`shipping ${shippingId} not found on order ${order.id}`);
  return shipping;
}
