import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RegistrationDto, SHIPPING_STATES, ShippingState } from '@ordercast/contracts';
import { hasOnlyKeys, isOneOf, VouchedBy } from '@ordercast/platform';
import { IsIn, IsObject, IsOptional, IsString, Length } from 'class-validator';
import { IsAmount, isAmount, isShortText } from '../../common/validation';
import { RegistrationList } from '../../notifications/registration-list.decorator';

/** A shipping without address or notifications is vouched for; with either it goes the slow way. */
@VouchedBy((body) =>
  hasOnlyKeys(body, ['adapterId', 'name', 'price', 'state'])
  && isShortText(body.adapterId, 200)
  && (body.name === undefined || isShortText(body.name, 200))
  && (body.price === undefined || isAmount(body.price))
  && isOneOf(SHIPPING_STATES, body.state))
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
