import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Payment } from '@ordercast/contracts';
import { randomUUID } from 'node:crypto';
import { withRegistrations } from '../../notifications/order-registrations';
import { RegistrationFactory } from '../../notifications/registration-factory';
import { RegistrationVault } from '../../notifications/registration-vault';
import { OrderStore } from '../../orders/order-store';
import { findPayment, RegisteredPayment } from '../payment-lookup';
import { AddPaymentCommand } from './add-payment.command';

/**
 * Adds a payment and the notifications the adapter registers with it in one change, so the
 * one event published carries both: a registration made "with" a payment sees that payment.
 */
@CommandHandler(AddPaymentCommand)
export class AddPaymentHandler implements ICommandHandler<AddPaymentCommand> {
  constructor(
    private readonly orders: OrderStore,
    private readonly registrations: RegistrationFactory,
    private readonly vault: RegistrationVault,
  ) {}

  async execute({ merchant, orderId, request }: AddPaymentCommand): Promise<RegisteredPayment> {
    const registrations = await this.registrations.create(request.notifications ?? [], 'payment', request.adapterId);
    const paymentId = randomUUID();
    const order = await this.orders.change(merchant, orderId, (current, now) => {
      const payment: Payment = {
        id: paymentId,
        adapterId: request.adapterId,
        name: request.name ?? null,
        amount: request.amount,
        currency: request.currency ?? current.currency,
        state: request.state,
        created: now.toISOString(),
        lastModified: now.toISOString(),
      };
      return {
        type: 'order.payment.changed',
        change: { kind: 'payment', paymentId, from: null, to: payment.state },
        order: withRegistrations({ ...current, payments: [...current.payments, payment] }, registrations),
      };
    });
    return { ...findPayment(order, paymentId), notifications: registrations.map((registration) => this.vault.mask(registration)) };
  }
}
