import { ApiProperty } from '@nestjs/swagger';
import { PAYMENT_STATES, PaymentState } from '@ordercast/contracts';
import { RegistrationResponse } from '../../notifications/dto/registration.response';

export class PaymentResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'stripe' })
  adapterId!: string;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ example: 100 })
  amount!: number;

  @ApiProperty({ example: 'SEK' })
  currency!: string;

  @ApiProperty({ enum: PAYMENT_STATES })
  state!: PaymentState;

  @ApiProperty({ format: 'date-time' })
  created!: string;

  @ApiProperty({ format: 'date-time' })
  lastModified!: string;
}

/** A new payment with the notifications registered along with it. */
export class RegisteredPaymentResponse extends PaymentResponse {
  @ApiProperty({ type: [RegistrationResponse] })
  notifications!: RegistrationResponse[];
}
