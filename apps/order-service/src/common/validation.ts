import { applyDecorators } from '@nestjs/common';
import { IsNumber, Matches, Max, Min } from 'class-validator';

/** Amounts and prices: finite numbers from zero up to a trillion. */
export const IsAmount = () => applyDecorators(IsNumber({ allowNaN: false, allowInfinity: false }), Min(0), Max(1e12));

export const IsCurrencyCode = () => Matches(/^[A-Z]{3}$/, { message: '$property must be an ISO 4217 currency code such as SEK' });
