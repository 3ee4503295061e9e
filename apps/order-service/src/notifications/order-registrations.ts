import { BadRequestException } from '@nestjs/common';
import { orderSchemaProblem, type Order, type Registration } from '@ordercast/contracts';

/** Bounds the work one order change can cause downstream (one delivery per matching registration). */
export const MAX_REGISTRATIONS_PER_ORDER = 50;

/**
 * The order with the registrations added; 400 when it would carry more than the maximum, or more
 * distinct scope schemas than an order may (see `orderSchemaProblem`). Adding none never fails.
 */
export function withRegistrations(order: Order, added: Registration[]): Order {
  const notifications = [...order.notifications, ...added];
  if (notifications.length > MAX_REGISTRATIONS_PER_ORDER) throw tooManyRegistrations(order.notifications.length, added.length);
  const schemaProblem = added.length === 0 ? null : orderSchemaProblem(notifications);
  if (schemaProblem !== null) throw badRequest(schemaProblem);
  return { ...order, notifications };
}

export function tooManyRegistrations(carried: number, added: number): BadRequestException {
  return badRequest(`an order carries at most ${MAX_REGISTRATIONS_PER_ORDER} notifications; this one has ${carried} and the request adds ${added}`);
}

function badRequest(message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [message] });
}
