import { ApiProperty } from '@nestjs/swagger';
import { ORDER_STATES, OrderState } from '@ordercast/contracts';
import { hasOnlyKeys, isOneOf, VouchedBy } from '@ordercast/platform';
import { IsIn } from 'class-validator';

@VouchedBy((body) => hasOnlyKeys(body, ['currentStatus']) && isOneOf(ORDER_STATES, body.currentStatus))
export class ChangeOrderStateDto {
  @ApiProperty({ enum: ORDER_STATES, example: 'processing' }) @IsIn(ORDER_STATES)
  currentStatus!: OrderState;
}
