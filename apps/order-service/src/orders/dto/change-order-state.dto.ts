import { ApiProperty } from '@nestjs/swagger';
import { ORDER_STATES, OrderState } from '@ordercast/contracts';
import { hasOnlyKeys, VouchedBy } from '@ordercast/platform';
import { IsIn } from 'class-validator';

@VouchedBy((body) => hasOnlyKeys(body, ['currentStatus']) && (ORDER_STATES as readonly unknown[]).includes(body.currentStatus))
export class ChangeOrderStateDto {
  @ApiProperty({ enum: ORDER_STATES, example: 'processing' }) @IsIn(ORDER_STATES)
  currentStatus!: OrderState;
}
