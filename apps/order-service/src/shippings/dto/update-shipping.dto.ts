import { ApiPropertyOptional } from '@nestjs/swagger';
import { SHIPPING_STATES, ShippingState } from '@ordercast/contracts';
import { IsIn, IsObject, IsOptional } from 'class-validator';
import { IsAmount } from '../../common/validation';

export class UpdateShippingDto {
  @ApiPropertyOptional({ enum: SHIPPING_STATES }) @IsOptional() @IsIn(SHIPPING_STATES)
  state?: ShippingState;

  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsAmount()
  price?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Replaces the whole address' }) @IsOptional() @IsObject()
  address?: Record<string, unknown>;
}
