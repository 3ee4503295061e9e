import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Idempotent, Merchant } from '@ordercast/platform';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { MAX_SUBSCRIPTIONS_PER_MERCHANT, SubscriptionsService, SubscriptionView } from './subscriptions.service';

@ApiTags('subscriptions')
@Controller('api/v0/checkout/notifications/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get()
  @ApiOperation({ summary: "The merchant's subscriptions, oldest first" })
  list(@Merchant() merchant: string): Promise<SubscriptionView[]> {
    return this.subscriptions.list(merchant);
  }

  @Post()
  @Idempotent()
  @ApiOperation({ summary: `Subscribe to changes of every order of the merchant (or of some channels); at most ${MAX_SUBSCRIPTIONS_PER_MERCHANT} per merchant` })
  create(@Merchant() merchant: string, @Body() request: CreateSubscriptionDto): Promise<SubscriptionView> {
    return this.subscriptions.create(merchant, request);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One subscription' })
  get(@Merchant() merchant: string, @Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.get(merchant, id);
  }

  @Patch(':id')
  @Idempotent()
  @ApiOperation({ summary: 'Change any field; `enabled` turns the subscription on or off. Applies from the next change event' })
  update(@Merchant() merchant: string, @Param('id') id: string, @Body() request: UpdateSubscriptionDto): Promise<SubscriptionView> {
    return this.subscriptions.update(merchant, id, request);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a disabled subscription (409 while it is enabled)' })
  remove(@Merchant() merchant: string, @Param('id') id: string): Promise<void> {
    return this.subscriptions.remove(merchant, id);
  }
}
