import { ApiPropertyOptional } from '@nestjs/swagger';
import { PAYMENT_STATES, PaymentState } from '@ordercast/contracts';
import { hasOnlyKeys, isOneOf, VouchedBy } from '@ordercast/platform';
import { IsIn, IsOptional } from 'class-validator';
import { IsAmount, isAmount } from '../../common/validation';

/** Absent fields keep their value; a null goes the slow way (IsOptional lets it through, the vouch does not bother). */
@VouchedBy((body) =>
  hasOnlyKeys(body, ['state', 'amount'])
  && (body.state === undefined || isOneOf(PAYMENT_STATES, body.state))
  && (body.amount === undefined || isAmount(body.amount)))
export class UpdatePaymentDto {
  @ApiPropertyOptional({ enum: PAYMENT_STATES }) @IsOptional() @IsIn(PAYMENT_STATES)
  state?: PaymentState;

  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsAmount()
  amount?: number;
}
