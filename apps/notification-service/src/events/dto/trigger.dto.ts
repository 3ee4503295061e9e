import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsEventFilterId } from './event-filter-id';

/** Without either field every notification registered on the order is sent. */
export class TriggerDto {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsEventFilterId('notificationId', 'a notification id')
  notificationId?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  reference?: string;
}
