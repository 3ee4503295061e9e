import { applyDecorators } from '@nestjs/common';
import { IsNumber, Matches, Max, Min } from 'class-validator';

export const MAX_AMOUNT = 1e12;

/** Amounts and prices: finite numbers from zero up to a trillion. */
export const IsAmount = () => applyDecorators(IsNumber({ allowNaN: false, allowInfinity: false }), Min(0), Max(MAX_AMOUNT));

/** What {@link IsAmount} accepts, for a DTO's vouch (`VouchedBy`). */
export function isAmount(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_AMOUNT;
}

export const IsCurrencyCode = () => Matches(/^[A-Z]{3}$/, { message: '$property must be an ISO 4217 currency code such as SEK' });
