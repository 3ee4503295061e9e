import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBearerAuth, ApiConflictResponse, ApiForbiddenResponse, ApiHeader, ApiNotFoundResponse,
  ApiUnauthorizedResponse,
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
