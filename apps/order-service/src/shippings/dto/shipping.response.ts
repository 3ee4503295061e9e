import { ApiProperty } from '@nestjs/swagger';
import { SHIPPING_STATES, ShippingState } from '@ordercast/contracts';
import { RegistrationResponse } from '../../notifications/dto/registration.response';

export class ShippingResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'postnord' })
  adapterId!: string;

  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  price!: number | null;

  @ApiProperty({ enum: SHIPPING_STATES })
  state!: ShippingState;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  address!: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time' })
  created!: string;

  @ApiProperty({ format: 'date-time' })
  lastModified!: string;
}

/** A new shipping with the notifications registered along with it. */
export class RegisteredShippingResponse extends ShippingResponse {
  @ApiProperty({ type: [RegistrationResponse] })
  notifications!: RegistrationResponse[];
}
