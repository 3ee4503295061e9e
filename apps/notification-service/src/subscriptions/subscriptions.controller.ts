import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponse, ApiRequestErrors, Idempotent, Merchant, ParseIdPipe } from '@ordercast/platform';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { SubscriptionResponse } from './dto/subscription.response';
import { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { MAX_SUBSCRIPTIONS_PER_MERCHANT, SubscriptionsService, SubscriptionView } from './subscriptions.service';

@ApiTags('subscriptions')
@ApiRequestErrors()
@Controller('api/v0/checkout/notifications/subscriptions')
export class SubscriptionsController {
  constructor(private readonly subscriptions: SubscriptionsService) {}

  @Get()
  @ApiOperation({ summary: "The merchant's subscriptions, oldest first" })
  @ApiOkResponse({ type: [SubscriptionResponse] })
  list(@Merchant() merchant: string): Promise<SubscriptionView[]> {
    return this.subscriptions.list(merchant);
  }

  @Post()
  @Idempotent()
  @ApiOperation({ summary: `Subscribe to changes of every order of the merchant (or of some channels); at most ${MAX_SUBSCRIPTIONS_PER_MERCHANT} per merchant` })
  @ApiCreatedResponse({ type: SubscriptionResponse })
  create(@Merchant() merchant: string, @Body() request: CreateSubscriptionDto): Promise<SubscriptionView> {
    return this.subscriptions.create(merchant, request);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One subscription' })
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiNotFoundResponse({ description: "Unknown subscription, or another merchant's", type: ApiErrorResponse })
  get(@Merchant() merchant: string, @Param('id', new ParseIdPipe('subscription')) id: string): Promise<SubscriptionView> {
    return this.subscriptions.get(merchant, id);
  }

  @Patch(':id')
  @Idempotent()
  @ApiOperation({ summary: 'Change any field; `enabled` turns the subscription on or off. Scope and channels apply from the next change event; where deliveries go (URL, method, headers, secret, auth, Kafka topic) also to the retries of earlier ones' })
  @ApiOkResponse({ type: SubscriptionResponse })
  @ApiNotFoundResponse({ description: "Unknown subscription, or another merchant's", type: ApiErrorResponse })
  update(@Merchant() merchant: string, @Param('id', new ParseIdPipe('subscription')) id: string, @Body() request: UpdateSubscriptionDto): Promise<SubscriptionView> {
    return this.subscriptions.update(merchant, id, request);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a disabled subscription (409 while it is enabled)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: "Unknown subscription, or another merchant's", type: ApiErrorResponse })
  @ApiConflictResponse({ description: 'The subscription is enabled', type: ApiErrorResponse })
  remove(@Merchant() merchant: string, @Param('id', new ParseIdPipe('subscription')) id: string): Promise<void> {
    return this.subscriptions.remove(merchant, id);
  }
}
