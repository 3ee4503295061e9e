import { ValidateIf } from 'class-validator';

/**
 * An optional body field: absent means "not given", but unlike IsOptional a null is validated
 * (and refused by the field's rules) rather than let through as if absent, where it would reach a
 * filter as `= NULL` or a lookup as an id.
 */
export const IfGiven = () => ValidateIf((_: object, value: unknown) => value !== undefined);
