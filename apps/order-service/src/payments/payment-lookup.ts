import { NotFoundException } from '@nestjs/common';
import type { Order, Payment, Registration } from '@ordercast/contracts';

/** A new payment as the API returns it: with the notifications registered along with it. */
export type RegisteredPayment = Payment & { notifications: Registration[] };

export function findPayment(order: Order, paymentId: string): Payment {
  const payment = order.payments.find((candidate) => candidate.id === paymentId);
  if (!payment) throw new NotFoundException(`payment ${paymentId} not found on order ${order.id}`);
  return payment;
}
