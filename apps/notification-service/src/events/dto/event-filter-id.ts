import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsUUID } from 'class-validator';

/**
 * An id a filter or a bulk retry names: orders, notifications, subscriptions and Events all have
 * UUIDs (order-service gives them; its paths answer 404 to anything else). A value that is not one
 * could match nothing, so it is a 400 naming the field rather than an empty answer that looks like
 * "no deliveries".
 *
 * Any 8-4-4-4-12 hexadecimal form is a UUID here, whatever its version bits, as it is to
 * PostgreSQL (ids made by `md5(...)::uuid` or by another system are still ids), and it is compared
 * in lower case, as PostgreSQL prints one: `GET /orders/{ID}` finds an order in any case, so its
 * Events must be found the same way (path ids: ParseIdPipe).
 */
export const IsEventFilterId = (field: string, what: string) =>
  applyDecorators(
    Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value)),
    IsUUID('loose', { message: `${field} must be ${what} (a UUID)` }),
  );

