import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Shipping } from '@ordercast/contracts';
import { randomUUID } from 'node:crypto';
import { withRegistrations } from '../../notifications/order-registrations';
import { RegistrationFactory } from '../../notifications/registration-factory';
import { RegistrationVault } from '../../notifications/registration-vault';
import { OrderStore } from '../../orders/order-store';
import { findShipping, RegisteredShipping } from '../shipping-lookup';
import { AddShippingCommand } from './add-shipping.command';

/** Adds a shipping and the notifications registered with it in one change (one event carries both). */
@CommandHandler(AddShippingCommand)
export class AddShippingHandler implements ICommandHandler<AddShippingCommand> {
  constructor(
    private readonly orders: OrderStore,
    private readonly registrations: RegistrationFactory,
    private readonly vault: RegistrationVault,
  ) {}

  async execute({ merchant, orderId, request }: AddShippingCommand): Promise<RegisteredShipping> {
    const registrations = await this.registrations.create(request.notifications ?? [], 'shipping', request.adapterId);
    const shippingId = randomUUID();
    const order = await this.orders.change(merchant, orderId, (current, now) => {
      const shipping: Shipping = {
        id: shippingId,
        adapterId: request.adapterId,
        name: request.name ?? null,
        price: request.price ?? null,
        state: request.state,
        address: request.address ?? null,
        created: now.toISOString(),
        lastModified: now.toISOString(),
      };
      return {
        type: 'order.shipping.changed',
        change: { kind: 'shipping', shippingId, from: null, to: shipping.state },
        order: withRegistrations({ ...current, shippings: [...current.shippings, shipping] }, registrations),
      };
    });
    return { ...findShipping(order, shippingId), notifications: registrations.map((registration) => this.vault.mask(registration)) };
  }
}
