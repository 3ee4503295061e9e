import { isISO8601, ValidateBy } from 'class-validator';

/** A date, or a date-time with its offset: a time without one would depend on the server's zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A point in time a request may name: a calendar date (midnight UTC) or a date-time with `Z` or an
 * offset, valid as such (no 2025-13-45). ISO 8601 alone also takes week dates (`2026-W49`), ordinal
 * dates (`2026-336`) and basic forms (`20261202`), which JavaScript reads as an invalid Date: those
 * reached PostgreSQL as `NaN` and answered 500 (attack of 2026-12-02).
 */
export function isInstant(value: unknown): value is string {
  return typeof value === 'string' && INSTANT.test(value) && isISO8601(value, { strict: true }) && !Number.isNaN(Date.parse(value));
}

/** Validates a field with {@link isInstant}; the message names the field and shows the forms taken. */
export const IsInstant = () =>
  ValidateBy({
    name: 'isInstant',
    validator: {
      validate: (value: unknown) => isInstant(value),
      defaultMessage: (args) => `${args?.property ?? 'value'} must be a date such as 2026-12-01 or a date-time with Z or an offset, such as 2026-12-01T10:00:00Z`,
    },
  });
