import { Body, Controller, Param, Patch, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Shipping } from '@ordercast/contracts';
import { Autocommit, Idempotent, Merchant, ParseIdPipe } from '@ordercast/platform';
import { ApiMerchantRoute, ApiOrderBudget, ApiPublishRate, ApiUnknownId } from '../common/api-docs';
import { AddShippingCommand } from './commands/add-shipping.command';
import { UpdateShippingCommand } from './commands/update-shipping.command';
import { AddShippingDto } from './dto/add-shipping.dto';
import { RegisteredShippingResponse, ShippingResponse } from './dto/shipping.response';
import { UpdateShippingDto } from './dto/update-shipping.dto';
import type { RegisteredShipping } from './shipping-lookup';

@ApiTags('shippings')
@ApiMerchantRoute()
@ApiUnknownId('order or shipping')
@Controller('api/v0/checkout/orders/:id/shippings')
export class ShippingsController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @ApiPublishRate()
  @Autocommit()
  @Idempotent()
  @ApiOrderBudget()
  @ApiOperation({ summary: 'Add a shipping, optionally registering notifications with it (in the same change)' })
  @ApiCreatedResponse({ description: 'The shipping, with the notifications registered along with it (masked)', type: RegisteredShippingResponse })
  add(
    @Merchant() merchant: string,
    @Param('id', new ParseIdPipe('order')) orderId: string,
    @Body() request: AddShippingDto,
  ): Promise<RegisteredShipping> {
    return this.commands.execute(new AddShippingCommand(merchant, orderId, request));
  }

  @Patch(':shippingId')
  @ApiPublishRate()
  @Autocommit()
  @Idempotent()
  @ApiOrderBudget()
  @ApiOperation({ summary: "Update a shipping's state, price or address; a request that changes nothing publishes nothing" })
  @ApiOkResponse({ description: 'The shipping', type: ShippingResponse })
  update(
    @Merchant() merchant: string,
    @Param('id', new ParseIdPipe('order')) orderId: string,
    @Param('shippingId', new ParseIdPipe('shipping')) shippingId: string,
    @Body() request: UpdateShippingDto,
  ): Promise<Shipping> {
    return this.commands.execute(new UpdateShippingCommand(merchant, orderId, shippingId, request));
  }
}
