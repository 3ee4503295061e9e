import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PAYMENT_STATES, PaymentState, RegistrationDto } from '@ordercast/contracts';
import { hasOnlyKeys, isOneOf, VouchedBy } from '@ordercast/platform';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { IsAmount, isAmount, IsCurrencyCode, isCurrencyCode, isShortText } from '../../common/validation';
import { RegistrationList } from '../../notifications/registration-list.decorator';

/** A payment without notifications is vouched for; one with them (nested registrations) goes the slow way. */
@VouchedBy((body) =>
  hasOnlyKeys(body, ['adapterId', 'name', 'amount', 'currency', 'state'])
  && isShortText(body.adapterId, 200)
  && (body.name === undefined || isShortText(body.name, 200))
  && isAmount(body.amount)
  && (body.currency === undefined || isCurrencyCode(body.currency))
  && isOneOf(PAYMENT_STATES, body.state))
export class AddPaymentDto {
  @ApiProperty({ example: 'klarna-checkout' }) @IsString() @Length(1, 200)
  adapterId!: string;

  @ApiPropertyOptional({ example: 'Klarna' }) @IsOptional() @IsString() @Length(1, 200)
  name?: string;

  @ApiProperty({ minimum: 0, example: 998 }) @IsAmount()
  amount!: number;

  @ApiPropertyOptional({ example: 'SEK', description: "Defaults to the order's currency" }) @IsOptional() @IsCurrencyCode()
  currency?: string;

  @ApiProperty({ enum: PAYMENT_STATES }) @IsIn(PAYMENT_STATES)
  state!: PaymentState;

  @RegistrationList("Notifications the adapter registers on the order with this payment (adapterId defaults to the payment's)")
  notifications?: RegistrationDto[];
}
