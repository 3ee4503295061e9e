import { ApiPropertyOptional } from '@nestjs/swagger';
import { PageQuery } from '@ordercast/platform';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { EVENT_STATUSES, EventStatus } from '../event-types';

export class ListEventsQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  orderId?: string;

  @ApiPropertyOptional({ description: 'Alias of orderId' }) @IsOptional() @IsString() @MaxLength(200)
  order_id?: string;

  @ApiPropertyOptional({ description: '`state` matches every `state.*` label; `state.completed` matches exactly', example: 'state.completed' })
  @IsOptional() @Matches(/^[A-Za-z0-9_.\/~-]{1,200}$/, { message: 'scope must be a label such as state, state.completed, payment.captured or a JSON pointer' })
  scope?: string;

  @ApiPropertyOptional({ enum: EVENT_STATUSES }) @IsOptional() @IsIn(EVENT_STATUSES)
  status?: EventStatus;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  notificationId?: string;

  @ApiPropertyOptional() @IsOptional() @IsUUID()
  subscriptionId?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  reference?: string;

  @ApiPropertyOptional({ description: 'A channel name, as order-service takes it' })
  @IsOptional() @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'channel must be 1 to 100 letters, digits, ".", "_" or "-"' })
  channel?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events created at or after' }) @IsOptional() @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events created at or before' }) @IsOptional() @IsISO8601({ strict: true })
  to?: string;
}
