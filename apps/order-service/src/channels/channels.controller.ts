import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Registration } from '@ordercast/contracts';
import { Idempotent, Merchant } from '@ordercast/platform';
import { ApiMerchantRoute, ApiOrderBudget } from '../common/api-docs';
import { MAX_REGISTRATIONS_PER_ORDER } from '../notifications/order-registrations';
import { RegistrationResponse } from '../notifications/dto/registration.response';
import { REGISTRATION_LIST_SCHEMA } from '../notifications/registration.openapi';
import { ChannelNotificationsService } from './channel-notifications.service';
import { ParseChannelPipe } from './channel-name';
import { ChannelRegistrationRequest, ParseChannelRegistrationsPipe } from './parse-channel-registrations.pipe';

@ApiTags('channels')
@ApiMerchantRoute()
@Controller('api/v0/checkout/channels/:channel/notifications')
export class ChannelsController {
  constructor(private readonly channels: ChannelNotificationsService) {}

  @Get()
  @ApiOperation({ summary: "The channel's configured notifications (headers and secrets masked)" })
  @ApiOkResponse({ description: 'The channel notifications', type: [RegistrationResponse] })
  list(@Merchant() merchant: string, @Param('channel', ParseChannelPipe) channel: string): Promise<Registration[]> {
    return this.channels.list(merchant, channel);
  }

  @Put()
  @Idempotent()
  @ApiOrderBudget()
  @ApiOperation({
    summary: 'Replace the channel notifications; orders created afterwards in the channel get copies',
    description: 'Takes the list a GET returned, edited: a masked value (********) keeps the stored one of the notification with the same id (or reference) while its target origin is unchanged.',
  })
  @ApiBody({ schema: REGISTRATION_LIST_SCHEMA })
  @ApiOkResponse({ description: 'The channel notifications as stored', type: [RegistrationResponse] })
  replace(
    @Merchant() merchant: string,
    @Param('channel', ParseChannelPipe) channel: string,
    @Body(new ParseChannelRegistrationsPipe(MAX_REGISTRATIONS_PER_ORDER)) registrations: ChannelRegistrationRequest[],
  ): Promise<Registration[]> {
    return this.channels.replace(merchant, channel, registrations);
  }
}
