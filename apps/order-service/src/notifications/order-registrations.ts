import { BadRequestException } from '@nestjs/common';
import type { Order, Registration } from '@ordercast/contracts';

/** Bounds the work one order change can cause downstream (one delivery per matching registration). */
export const MAX_REGISTRATIONS_PER_ORDER = 50;

/** The order with the registrations added; 400 when it would carry more than the maximum. */
export function withRegistrations(order: Order, added: Registration[]): Order {
  const notifications = [...order.notifications, ...added];
  if (notifications.length > MAX_REGISTRATIONS_PER_ORDER) throw tooManyRegistrations(order.notifications.length, added.length);
  return { ...order, notifications };
}

export function tooManyRegistrations(carried: number, added: number): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: [`an order carries at most ${MAX_REGISTRATIONS_PER_ORDER} notifications; this one has ${carried} and the request adds ${added}`],
  });
}
