import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Cart, Order } from '@ordercast/contracts';
import { randomUUID } from 'node:crypto';
import { withRegistrations } from '../../notifications/order-registrations';
import { RegistrationFactory } from '../../notifications/registration-factory';
import { RegistrationVault } from '../../notifications/registration-vault';
import type { CartDto } from '../dto/cart.dto';
import { OrderStore } from '../order-store';
import { CreateOrderCommand } from './create-order.command';

@CommandHandler(CreateOrderCommand)
export class CreateOrderHandler implements ICommandHandler<CreateOrderCommand> {
  constructor(
    private readonly orders: OrderStore,
    private readonly registrations: RegistrationFactory,
    private readonly vault: RegistrationVault,
  ) {}

  async execute({ merchant, channel, request }: CreateOrderCommand): Promise<Order> {
    const own = await this.registrations.create(request.notifications ?? [], 'order');
    const now = new Date().toISOString();
    const order = withRegistrations({
      id: randomUUID(),
      merchant,
      channel,
      reference: request.reference ?? null,
      created: now,
      lastModified: now,
      state: { currentStatus: 'checkout', transitions: [{ status: 'checkout', timeStamp: now }] },
      currency: request.currency,
      country: request.country ?? null,
      culture: request.culture ?? null,
      cart: toCart(request.cart),
      payments: [],
      shippings: [],
      customer: request.customer ?? null,
      notifications: [],
    }, own);
    return this.vault.maskOrder(await this.orders.create(order));
  }
}

/** The total defaults to the items' sum, which CartDto holds to an amount. */
function toCart(cart: CartDto): Cart {
  const items = cart.items.map(({ reference, name, quantity, unitPrice }) => ({ reference, name, quantity, unitPrice }));
  return { items, total: cart.total ?? items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0) };
}
