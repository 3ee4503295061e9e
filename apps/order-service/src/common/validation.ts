import { applyDecorators } from '@nestjs/common';
import { IsNumber, Matches, Max, Min } from 'class-validator';

export const MAX_AMOUNT = 1e12;

/** Amounts and prices: finite numbers from zero up to a trillion. */
export const IsAmount = () => applyDecorators(IsNumber({ allowNaN: false, allowInfinity: false }), Min(0), Max(MAX_AMOUNT));

/** What {@link IsAmount} accepts, for a DTO's vouch (`VouchedBy`). */
export function isAmount(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_AMOUNT;
}

const CURRENCY_CODE = /^[A-Z]{3}$/;

export const IsCurrencyCode = () => Matches(CURRENCY_CODE, { message: '$property must be an ISO 4217 currency code such as SEK' });

/** What {@link IsCurrencyCode} accepts, for a DTO's vouch. */
export function isCurrencyCode(value: unknown): boolean {
  return typeof value === 'string' && CURRENCY_CODE.test(value);
}

/**
 * A string `@IsString() @Length(1, max)` accepts, for a DTO's vouch. Length counts a surrogate pair,
 * and a character with its variation selector, as one: never more than the UTF-16 length, and never
 * less than one for a string that is not empty. A longer string it might accept goes the slow way.
 */
export function isShortText(value: unknown, max: number): boolean {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}
