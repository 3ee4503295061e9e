import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiForbiddenResponse, ApiHeader, ApiNotFoundResponse,
  ApiPayloadTooLargeResponse, ApiProperty, ApiTooManyRequestsResponse, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ORDER_STATES, OrderState } from '@ordercast/contracts';
import { ApiErrorResponse, ApiRequestErrors } from '@ordercast/platform';

/** What every `/api` route shares: tenant header, bearer token, and the auth and validation errors. */
export const ApiMerchantRoute = () => applyDecorators(
  ApiBearerAuth(),
  ApiHeader({ name: 'X-Merchant', required: true, description: 'The tenant; the token must belong to it' }),
  ApiRequestErrors(),
);

export const ApiUnknownId = (what: string) => ApiNotFoundResponse({ description: `Unknown or malformed ${what} id, or another merchant's`, type: ApiErrorResponse });

/** A 409 for an illegal state change, naming the states the order may move to. */
export class IllegalTransitionResponse extends ApiErrorResponse {
  @ApiProperty({ enum: ORDER_STATES, isArray: true, example: ['processing', 'removed'] })
  allowed!: OrderState[];
}

export const ApiIllegalTransition = () => ApiConflictResponse({ description: 'Illegal transition', type: IllegalTransitionResponse });

/** A 413 for a write past the order's byte budget, naming the limit. */
export class OrderBudgetResponse extends ApiErrorResponse {
  @ApiProperty({ example: 491808, description: 'The most bytes an order may take' })
  limitBytes!: number;
}

/** A 429 for a write past the merchant's publish rate, with the seconds to wait (also in `Retry-After`). */
export class PublishRateResponse extends ApiErrorResponse {
  @ApiProperty({ example: 2, description: 'Seconds until the write may be sent again, as in the Retry-After header' })
  retryAfterSeconds!: number;
}

/** A write that grows an order: refused past the order's byte budget (`OrderBudget`). */
export const ApiOrderBudget = () =>
  ApiPayloadTooLargeResponse({
    description: 'The order would pass its byte budget ((KAFKA_MAX_MESSAGE_BYTES - 16 KiB) / 2); nothing is changed',
    type: OrderBudgetResponse,
  });

/** A write that publishes a change event: refused past the merchant's publish rate (`MerchantPublishRate`). */
export const ApiPublishRate = () =>
  ApiTooManyRequestsResponse({
    description: 'The merchant publishes change events faster than MERCHANT_PUBLISH_BYTES_PER_SECOND; nothing is changed, retry after Retry-After seconds',
    type: PublishRateResponse,
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
  });
