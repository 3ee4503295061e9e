import { ApiPropertyOptional } from '@nestjs/swagger';
import { IfGiven } from '@ordercast/platform';
import { IsString, MaxLength } from 'class-validator';
import { IsEventFilterId } from './event-filter-id';

/** Without either field every notification registered on the order is sent. */
export class TriggerDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IfGiven() @IsEventFilterId('notificationId', 'a notification id')
  notificationId?: string;

  @ApiPropertyOptional() @IfGiven() @IsString() @MaxLength(200)
  reference?: string;
}
