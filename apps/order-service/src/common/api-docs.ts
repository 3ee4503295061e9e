import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiForbiddenResponse, ApiHeader, ApiNotFoundResponse,
  ApiPayloadTooLargeResponse, ApiUnauthorizedResponse,
} from '@nestjs/swagger';

/** What every `/api` route shares: tenant header, bearer token, and the auth and validation errors. */
export const ApiMerchantRoute = () => applyDecorators(
  ApiBearerAuth(),
  ApiHeader({ name: 'X-Merchant', required: true, description: 'The tenant; the token must belong to it' }),
  ApiBadRequestResponse({ description: 'Invalid input or missing X-Merchant: `{ statusCode, error, message: string[] }`' }),
  ApiUnauthorizedResponse({ description: 'Missing or unknown bearer token' }),
  ApiForbiddenResponse({ description: 'The token belongs to another merchant' }),
);

export const ApiUnknownId = (what: string) => ApiNotFoundResponse({ description: `Unknown or malformed ${what} id, or another merchant's` });

export const ApiIllegalTransition = () =>
  ApiConflictResponse({ description: 'Illegal transition: `{ statusCode: 409, error, message, allowed: [...] }`' });

/** A write that grows an order: refused past the order's byte budget (`OrderBudget`). */
export const ApiOrderBudget = () =>
  ApiPayloadTooLargeResponse({
    description: 'The order would pass its byte budget ((KAFKA_MAX_MESSAGE_BYTES - 16 KiB) / 2): `{ statusCode: 413, error, message, limitBytes }`; nothing is changed',
  });
