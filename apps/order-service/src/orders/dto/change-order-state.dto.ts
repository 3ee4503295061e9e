import { ApiProperty } from '@nestjs/swagger';
import { ORDER_STATES, OrderState } from '@ordercast/contracts';
import { IsIn } from 'class-validator';

export class ChangeOrderStateDto {
  @ApiProperty({ enum: ORDER_STATES, example: 'processing' }) @IsIn(ORDER_STATES)
  currentStatus!: OrderState;
}
