import { IsUUID } from 'class-validator';

/**
 * An id a filter or a bulk retry names: orders, notifications, subscriptions and Events all have
 * UUIDs (order-service gives them; its paths answer 404 to anything else). A value that is not one
 * could match nothing, so it is a 400 naming the field rather than an empty answer that looks like
 * "no deliveries".
 */
export const IsEventFilterId = (field: string, what: string) => IsUUID('all', { message: `${field} must be ${what} (a UUID)` });
