import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { Payment } from '@ordercast/contracts';
import { OrderStore } from '../../orders/order-store';
import { findPayment } from '../payment-lookup';
import { UpdatePaymentCommand } from './update-payment.command';

/**
 * Payment states follow the payment provider, which Ordercast does not second-guess: any
 * listed state may follow any other (a refund after capture, a late decline). Setting what
 * is already there changes nothing and publishes nothing.
 */
@CommandHandler(UpdatePaymentCommand)
export class UpdatePaymentHandler implements ICommandHandler<UpdatePaymentCommand> {
  constructor(private readonly orders: OrderStore) {}

  async execute({ merchant, orderId, paymentId, request }: UpdatePaymentCommand): Promise<Payment> {
    const order = await this.orders.change(merchant, orderId, (current, now) => {
      const payment = findPayment(current, paymentId);
      const state = request.state ?? payment.state;
      const amount = request.amount ?? payment.amount;
      if (state === payment.state && amount === payment.amount) return null;
      const updated: Payment = { ...payment, state, amount, lastModified: now.toISOString() };
      return {
        type: 'order.payment.changed',
        change: { kind: 'payment', paymentId, from: payment.state, to: state },
        order: { ...current, payments: current.payments.map((candidate) => (candidate.id === paymentId ? updated : candidate)) },
      };
    });
    return findPayment(order, paymentId);
  }
}
