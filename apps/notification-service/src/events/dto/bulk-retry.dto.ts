import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IfGiven, IsInstant } from '@ordercast/platform';
import { IsIn } from 'class-validator';
import { IsEventFilterId } from './event-filter-id';

export const RETRYABLE_STATUSES = ['failed', 'dead'] as const;

export class BulkRetryDto {
  @ApiProperty({ enum: RETRYABLE_STATUSES, description: 'Retry deliveries whose latest attempt has this status' }) @IsIn(RETRYABLE_STATUSES)
  status!: (typeof RETRYABLE_STATUSES)[number];

  @ApiPropertyOptional({ format: 'uuid' }) @IfGiven() @IsEventFilterId('orderId', 'an order id')
  orderId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IfGiven() @IsEventFilterId('notificationId', 'a notification id')
  notificationId?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; only deliveries whose latest attempt was created at or after' }) @IfGiven() @IsInstant()
  since?: string;
}
