import { ApiPropertyOptional } from '@nestjs/swagger';
import { PAYMENT_STATES, PaymentState } from '@ordercast/contracts';
import { IsIn, IsOptional } from 'class-validator';
import { IsAmount } from '../../common/validation';

export class UpdatePaymentDto {
  @ApiPropertyOptional({ enum: PAYMENT_STATES }) @IsOptional() @IsIn(PAYMENT_STATES)
  state?: PaymentState;

  @ApiPropertyOptional({ minimum: 0 }) @IsOptional() @IsAmount()
  amount?: number;
}
