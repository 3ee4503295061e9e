import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Idempotent, Merchant } from '@ordercast/platform';
import { BulkRetryDto } from './dto/bulk-retry.dto';
import { ListEventsQuery } from './dto/list-events.query';
import { TriggerDto } from './dto/trigger.dto';
import { EventRecord } from './event-record';
import { EventPage, EventQueries } from './event-queries';
import { EventRetries } from './event-retries.service';
import { ManualTrigger } from './manual-trigger.service';

@ApiTags('events')
@Controller('api/v0/checkout/notifications')
export class EventsController {
  constructor(
    private readonly queries: EventQueries,
    private readonly retries: EventRetries,
    private readonly manual: ManualTrigger,
  ) {}

  @Get('events')
  @ApiOperation({ summary: 'Delivery attempts, newest first' })
  list(@Merchant() merchant: string, @Query() query: ListEventsQuery): Promise<EventPage> {
    return this.queries.list(merchant, query);
  }

  @Post('events/retry')
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({ summary: 'Retry every delivery whose latest attempt is failed (or dead)' })
  retryMany(@Merchant() merchant: string, @Body() request: BulkRetryDto): Promise<{ count: number }> {
    return this.retries.retryMany(merchant, request);
  }

  @Get('events/:eventId')
  @ApiOperation({ summary: 'One attempt with its request and response' })
  get(@Merchant() merchant: string, @Param('eventId') eventId: string): Promise<EventRecord> {
    return this.queries.get(merchant, eventId);
  }

  @Post('events/:eventId/retry')
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({ summary: 'Attempt the delivery again now (same webhook-id); 409 while an attempt is pending' })
  retry(@Merchant() merchant: string, @Param('eventId') eventId: string): Promise<EventRecord> {
    return this.retries.retry(merchant, eventId);
  }

  @Post('orders/:orderId/trigger')
  @Idempotent()
  @HttpCode(202)
  @ApiOperation({ summary: "Send the order's notifications now from its latest snapshot" })
  async trigger(@Merchant() merchant: string, @Param('orderId') orderId: string, @Body() request: TriggerDto): Promise<{ data: EventRecord[] }> {
    return { data: await this.manual.trigger(merchant, orderId, request) };
  }
}
