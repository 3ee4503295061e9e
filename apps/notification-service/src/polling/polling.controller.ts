import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiRequestErrors, Merchant } from '@ordercast/platform';
import type { FastifyReply } from 'fastify';
import { AckMessagesDto } from './dto/ack-messages.dto';
import { PeriodQueryDto } from './dto/period-query.dto';
import { AckResponse, MessagePeriodResponse, ReceiveResponse } from './dto/poll-message.response';
import { ReceiveQueryDto } from './dto/receive-query.dto';
import { MAX_PERIOD_MESSAGES } from './poll-options';
import { AckFailure, MessagePeriod, PollQueue, ReceivedMessage } from './poll-queue';

/** Fires when the client disconnects, so a long-poll stops instead of claiming messages nobody will read. */
function clientGone(response: FastifyReply): AbortSignal {
  const controller = new AbortController();
  response.raw.on('close', () => controller.abort());
  return controller.signal;
}

@ApiTags('polling')
@ApiRequestErrors()
@Controller('api/v0/checkout/notifications')
export class PollingController {
  constructor(private readonly queue: PollQueue) {}

  @Get('receive')
  @ApiOperation({ summary: 'Receive poll messages (long-polls up to timeoutMs); unacknowledged ones come back after the visibility timeout' })
  @ApiOkResponse({ type: ReceiveResponse })
  async receive(
    @Merchant() merchant: string,
    @Query() query: ReceiveQueryDto,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<{ messages: ReceivedMessage[]; autoAckFailedMessages: never[] }> {
    // autoAck is applied in the same statement that claims the messages, so it cannot fail separately.
    return { messages: await this.queue.receive(merchant, query, clientGone(response)), autoAckFailedMessages: [] };
  }

  @Post('ack')
  @HttpCode(200)
  @ApiOperation({ summary: 'Acknowledge received messages by messageId; unknown or expired ids are listed in ackFailedMessages' })
  @ApiOkResponse({ type: AckResponse })
  async ack(@Merchant() merchant: string, @Body() body: AckMessagesDto): Promise<{ ackFailedMessages: AckFailure[] }> {
    return { ackFailedMessages: await this.queue.ack(merchant, body.messageInfos.map((info) => info.messageIdentifier)) };
  }

  @Get()
  @ApiOperation({ summary: `Every poll message created in [periodStart, periodEnd), acknowledged or not, oldest first (at most ${MAX_PERIOD_MESSAGES})` })
  @ApiOkResponse({ type: MessagePeriodResponse })
  list(@Merchant() merchant: string, @Query() query: PeriodQueryDto): Promise<MessagePeriod> {
    return this.queue.list(merchant, new Date(query.periodStart), new Date(query.periodEnd));
  }
}
