import { ApiProperty } from '@nestjs/swagger';
import { ORDER_STATES, OrderState } from '@ordercast/contracts';
import { RegistrationResponse } from '../../notifications/dto/registration.response';
import { PaymentResponse } from '../../payments/dto/payment.response';
import { ShippingResponse } from '../../shippings/dto/shipping.response';

export class StateTransitionResponse {
  @ApiProperty({ enum: ORDER_STATES })
  status!: OrderState;

  @ApiProperty({ format: 'date-time' })
  timeStamp!: string;
}

export class OrderStateResponse {
  @ApiProperty({ enum: ORDER_STATES })
  currentStatus!: OrderState;

  @ApiProperty({ type: [StateTransitionResponse], description: 'Every state the order entered, oldest first' })
  transitions!: StateTransitionResponse[];
}

export class CartItemResponse {
  @ApiProperty({ example: 'sku-1' })
  reference!: string;

  @ApiProperty({ example: 'Mug' })
  name!: string;

  @ApiProperty({ example: 1 })
  quantity!: number;

  @ApiProperty({ example: 100 })
  unitPrice!: number;
}

export class CartResponse {
  @ApiProperty({ type: [CartItemResponse] })
  items!: CartItemResponse[];

  @ApiProperty({ example: 100 })
  total!: number;
}

/** The Norce-like order document, registration headers and secrets masked. */
export class OrderResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'demo' })
  merchant!: string;

  @ApiProperty({ example: 'web' })
  channel!: string;

  @ApiProperty({ type: String, nullable: true })
  reference!: string | null;

  @ApiProperty({ format: 'date-time' })
  created!: string;

  @ApiProperty({ format: 'date-time' })
  lastModified!: string;

  @ApiProperty({ type: OrderStateResponse })
  state!: OrderStateResponse;

  @ApiProperty({ example: 'SEK' })
  currency!: string;

  @ApiProperty({ type: String, nullable: true, example: 'SE' })
  country!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'sv-SE' })
  culture!: string | null;

  @ApiProperty({ type: CartResponse })
  cart!: CartResponse;

  @ApiProperty({ type: [PaymentResponse] })
  payments!: PaymentResponse[];

  @ApiProperty({ type: [ShippingResponse] })
  shippings!: ShippingResponse[];

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  customer!: Record<string, unknown> | null;

  @ApiProperty({ type: [RegistrationResponse] })
  notifications!: RegistrationResponse[];
}
