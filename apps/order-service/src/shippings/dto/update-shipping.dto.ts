import { ApiPropertyOptional } from '@nestjs/swagger';
import { SHIPPING_STATES, ShippingState } from '@ordercast/contracts';
import { hasOnlyKeys, isOneOf, VouchedBy } from '@ordercast/platform';
import { IsIn, IsObject, IsOptional } from 'class-validator';
import { IsAmount, isAmount } from '../../common/validation';

/** Absent fields keep their value; a null or an address goes the slow way. */
@VouchedBy((body) =>
  hasOnlyKeys(body, ['state', 'price'])
  && (body.state === undefined || isOneOf(SHIPPING_STATES, body.state))
  && (body.price === undefined || isAmount(body.price)))
export class UpdateShippingDto {
  @ApiPropertyOptional({ enum: SHIPPING_STATES }) @IsOptional() @IsIn(SHIPPING_STATES)
  state?: ShippingState;

  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsAmount()
  price?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Replaces the whole address' }) @IsOptional() @IsObject()
  address?: Record<string, unknown>;
}
