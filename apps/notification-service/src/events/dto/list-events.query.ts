import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInstant, PageQuery } from '@ordercast/platform';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { EVENT_STATUSES, EventStatus } from '../event-types';
import { IsEventFilterId } from './event-filter-id';

export class ListEventsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsEventFilterId('orderId', 'an order id')
  orderId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Alias of orderId' }) @IsOptional() @IsEventFilterId('order_id', 'an order id')
  order_id?: string;

  @ApiPropertyOptional({ description: '`state` matches every `state.*` label; `state.completed` matches exactly', example: 'state.completed' })
  @IsOptional() @Matches(/^[A-Za-z0-9_.\/~-]{1,200}$/, { message: 'scope must be a label such as state, state.completed, payment.captured or a JSON pointer' })
  scope?: string;

  @ApiPropertyOptional({ enum: EVENT_STATUSES }) @IsOptional() @IsIn(EVENT_STATUSES)
  status?: EventStatus;

  @ApiPropertyOptional({ format: 'uuid', description: 'The id of a notification registered on an order' }) @IsOptional() @IsEventFilterId('notificationId', 'a notification id')
  notificationId?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsEventFilterId('subscriptionId', 'a subscription id')
  subscriptionId?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200)
  reference?: string;

  @ApiPropertyOptional({ description: 'A channel name, as order-service takes it' })
  @IsOptional() @Matches(/^[A-Za-z0-9._-]{1,100}$/, { message: 'channel must be 1 to 100 letters, digits, ".", "_" or "-"' })
  channel?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events created at or after' }) @IsOptional() @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601; events created at or before' }) @IsOptional() @IsInstant()
  to?: string;
}
