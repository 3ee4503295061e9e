import { Body, Controller, Get, Param, Post, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Order } from '@ordercast/contracts';
import { Autocommit, Idempotent, Merchant, ParseIdPipe } from '@ordercast/platform';
import { ChannelHeader } from '../channels/channel-name';
import { ApiIllegalTransition, ApiMerchantRoute, ApiOrderBudget, ApiPublishRate, ApiUnknownId } from '../common/api-docs';
import { ChangeOrderStateCommand } from './commands/change-order-state.command';
import { CreateOrderCommand } from './commands/create-order.command';
import { ChangeOrderStateDto } from './dto/change-order-state.dto';
import { CreateOrderDto } from './dto/create-order.dto';
import { OrderResponse } from './dto/order.response';
import { OrderQueries } from './order-queries';

@ApiTags('orders')
@ApiMerchantRoute()
@Controller('api/v0/checkout/orders')
export class OrdersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: OrderQueries,
  ) {}

  @Post()
  @ApiPublishRate()
  @Autocommit()
  @Idempotent({ headers: ['x-channel'] })
  @ApiOrderBudget()
  @ApiOperation({ summary: "Create an order in state checkout; the channel's configured notifications are attached" })
  @ApiHeader({ name: 'X-Channel', required: true, description: 'Sales channel: 1-100 letters, digits, ".", "_" or "-"' })
  @ApiCreatedResponse({ description: 'The order', type: OrderResponse })
  create(@Merchant() merchant: string, @ChannelHeader() channel: string, @Body() request: CreateOrderDto): Promise<Order> {
    return this.commands.execute(new CreateOrderCommand(merchant, channel, request));
  }

  @Get(':id')
  @Autocommit()
  @ApiOkResponse({ description: 'The order', type: OrderResponse })
  @ApiUnknownId('order')
  get(@Merchant() merchant: string, @Param('id', new ParseIdPipe('order')) id: string): Promise<Order> {
    return this.queries.order(merchant, id);
  }

  @Put(':id/state')
  @ApiPublishRate()
  @Autocommit()
  @Idempotent()
  @ApiOrderBudget()
  @ApiOperation({ summary: 'Move the order to another state (checkout → processing | removed; processing → checkout | accepted; accepted → completed | declined)' })
  @ApiOkResponse({ description: 'The order in its new state', type: OrderResponse })
  @ApiUnknownId('order')
  @ApiIllegalTransition()
  changeState(
    @Merchant() merchant: string,
    @Param('id', new ParseIdPipe('order')) id: string,
    @Body() { currentStatus }: ChangeOrderStateDto,
  ): Promise<Order> {
    return this.commands.execute(new ChangeOrderStateCommand(merchant, id, currentStatus));
  }
}
