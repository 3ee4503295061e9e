import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RegistrationDto, SHIPPING_STATES, ShippingState } from '@ordercast/contracts';
import { IsIn, IsObject, IsOptional, IsString, Length } from 'class-validator';
import { IsAmount } from '../../common/validation';
import { RegistrationList } from '../../notifications/registration-list.decorator';

export class AddShippingDto {
  @ApiProperty({ example: 'ingrid' }) @IsString() @Length(1, 200)
  adapterId!: string;

  @ApiPropertyOptional({ example: 'Home delivery' }) @IsOptional() @IsString() @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ minimum: 0, example: 49 }) @IsOptional() @IsAmount()
  price?: number;

  @ApiProperty({ enum: SHIPPING_STATES }) @IsIn(SHIPPING_STATES)
  state!: ShippingState;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) @IsOptional() @IsObject()
  address?: Record<string, unknown>;

  @RegistrationList("Notifications the adapter registers on the order with this shipping (adapterId defaults to the shipping's)")
  notifications?: RegistrationDto[];
}
