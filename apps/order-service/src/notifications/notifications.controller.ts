import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Registration, RegistrationDto } from '@ordercast/contracts';
import { Autocommit, Idempotent, Merchant, ParseIdPipe } from '@ordercast/platform';
import { ApiMerchantRoute, ApiOrderBudget, ApiPublishRate, ApiUnknownId } from '../common/api-docs';
import { OrderQueries } from '../orders/order-queries';
import { RegisterNotificationCommand } from './commands/register-notification.command';
import { RemoveNotificationCommand } from './commands/remove-notification.command';
import { RegistrationResponse } from './dto/registration.response';
import { REGISTRATION_SCHEMA } from './registration.openapi';

@ApiTags('notifications')
@ApiMerchantRoute()
@ApiUnknownId('order or notification')
@Controller('api/v0/checkout/orders/:id/notifications')
export class NotificationsController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: OrderQueries,
  ) {}

  @Post()
  @ApiPublishRate()
  @Autocommit()
  @Idempotent()
  @ApiOrderBudget()
  @ApiOperation({ summary: 'Register a notification on the order (at most 50 per order)' })
  @ApiBody({ schema: REGISTRATION_SCHEMA })
  @ApiCreatedResponse({ description: 'The registration with its id; headers and secret masked', type: RegistrationResponse })
  register(
    @Merchant() merchant: string,
    @Param('id', new ParseIdPipe('order')) orderId: string,
    @Body() request: RegistrationDto,
  ): Promise<Registration> {
    return this.commands.execute(new RegisterNotificationCommand(merchant, orderId, request));
  }

  @Get()
  @Autocommit()
  @ApiOkResponse({ description: "The order's notifications; headers and secrets masked", type: [RegistrationResponse] })
  list(@Merchant() merchant: string, @Param('id', new ParseIdPipe('order')) orderId: string): Promise<Registration[]> {
    return this.queries.notifications(merchant, orderId);
  }

  @Delete(':notificationId')
  @ApiPublishRate()
  @Autocommit()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Removed' })
  remove(
    @Merchant() merchant: string,
    @Param('id', new ParseIdPipe('order')) orderId: string,
    @Param('notificationId', new ParseIdPipe('notification')) notificationId: string,
  ): Promise<void> {
    return this.commands.execute(new RemoveNotificationCommand(merchant, orderId, notificationId));
  }
}
