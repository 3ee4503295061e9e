import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Shipping } from '@ordercast/contracts';
import { isDeepStrictEqual } from 'node:util';
import { OrderStore } from '../../orders/order-store';
import { findShipping } from '../shipping-lookup';
import { UpdateShippingCommand } from './update-shipping.command';

/**
 * Like payments, shipping states follow the carrier: any listed state may follow any other.
 * A request that changes nothing publishes nothing.
 */
@CommandHandler(UpdateShippingCommand)
export class UpdateShippingHandler implements ICommandHandler<UpdateShippingCommand> {
  constructor(private readonly orders: OrderStore) {}

  async execute({ merchant, orderId, shippingId, request }: UpdateShippingCommand): Promise<Shipping> {
    const order = await this.orders.change(merchant, orderId, (current, now) => {
      const shipping = findShipping(current, shippingId);
      const candidate: Shipping = {
        ...shipping,
        state: request.state ?? shipping.state,
        price: request.price ?? shipping.price,
        address: request.address ?? shipping.address,
      };
      if (isDeepStrictEqual(candidate, shipping)) return null;
      const updated: Shipping = { ...candidate, lastModified: now.toISOString() };
      return {
        type: 'order.shipping.changed',
        change: { kind: 'shipping', shippingId, from: shipping.state, to: updated.state },
        order: { ...current, shippings: current.shippings.map((other) => (other.id === shippingId ? updated : other)) },
      };
    });
    return findShipping(order, shippingId);
  }
}
