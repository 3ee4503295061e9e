import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiTooManyRequestsResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponse, ApiRequestErrors, Idempotent, Merchant, ParseIdPipe } from '@ordercast/platform';
import { BulkRetryDto } from './dto/bulk-retry.dto';
import { EventListResponse, EventPageResponse, EventResponse, RetryCountResponse } from './dto/event.response';
import { ListEventsQuery } from './dto/list-events.query';
import { NoFieldsDto } from './dto/no-fields.dto';
import { TriggerDto } from './dto/trigger.dto';
import { EventRecord } from './event-record';
import { EventPage, EventQueries } from './event-queries';
import { EventRetries } from './event-retries.service';
import { ManualTrigger } from './manual-trigger.service';

@ApiTags('events')
@ApiRequestErrors()
@Controller('api/v0/checkout/notifications')
export class EventsController {
  constructor(
    private readonly queries: EventQueries,
    private readonly retries: EventRetries,
    private readonly manual: ManualTrigger,
  ) {}

  @Get('events')
  @ApiOperation({ summary: 'Delivery attempts, newest first' })
  @ApiOkResponse({ type: EventPageResponse })
  list(@Merchant() merchant: string, @Query() query: ListEventsQuery): Promise<EventPage> {
    return this.queries.list(merchant, query);
  }

  @Post('events/retry')
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry every delivery whose latest attempt is failed (or dead)' })
  @ApiAcceptedResponse({ type: RetryCountResponse })
  @ApiTooManyRequestsResponse({ description: 'The merchant creates deliveries on demand faster than MERCHANT_SEND_BYTES_PER_SECOND; nothing is created, retry after Retry-After seconds', type: ApiErrorResponse })
  retryMany(@Merchant() merchant: string, @Body() request: BulkRetryDto): Promise<{ count: number }> {
    return this.retries.retryMany(merchant, request);
  }

  @Get('events/:eventId')
  @ApiOperation({ summary: 'One attempt with its request and response' })
  @ApiOkResponse({ type: EventResponse })
  @ApiNotFoundResponse({ description: "Unknown event, or another merchant's", type: ApiErrorResponse })
  get(@Merchant() merchant: string, @Param('eventId', new ParseIdPipe('event')) eventId: string): Promise<EventRecord> {
    return this.queries.get(merchant, eventId);
  }

  @Post('events/:eventId/retry')
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({ summary: 'Attempt the delivery again now (same webhook-id); 409 while an attempt is pending' })
  @ApiAcceptedResponse({ description: 'The new attempt', type: EventResponse })
  @ApiNotFoundResponse({ description: "Unknown event, or another merchant's", type: ApiErrorResponse })
  @ApiConflictResponse({ description: 'An attempt of the delivery is pending', type: ApiErrorResponse })
  @ApiTooManyRequestsResponse({ description: 'The merchant creates deliveries on demand faster than MERCHANT_SEND_BYTES_PER_SECOND; nothing is created, retry after Retry-After seconds', type: ApiErrorResponse })
  retry(@Merchant() merchant: string, @Param('eventId', new ParseIdPipe('event')) eventId: string, @Body() _nothing: NoFieldsDto): Promise<EventRecord> {
    return this.retries.retry(merchant, eventId);
  }

  @Post('orders/:orderId/trigger')
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({ summary: "Send the order's notifications now from its latest snapshot" })
  @ApiAcceptedResponse({ description: 'The Events created', type: EventListResponse })
  @ApiNotFoundResponse({ description: 'Unknown order or notification', type: ApiErrorResponse })
  @ApiTooManyRequestsResponse({ description: 'The merchant creates deliveries on demand faster than MERCHANT_SEND_BYTES_PER_SECOND; nothing is created, retry after Retry-After seconds', type: ApiErrorResponse })
  async trigger(@Merchant() merchant: string, @Param('orderId', new ParseIdPipe('order')) orderId: string, @Body() request: TriggerDto): Promise<{ data: EventRecord[] }> {
    return { data: await this.manual.trigger(merchant, orderId, request) };
  }
}
