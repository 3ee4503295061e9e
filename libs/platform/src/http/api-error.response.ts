import { applyDecorators } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiProperty, ApiUnauthorizedResponse } from '@nestjs/swagger';

/**
 * The body of every error answer: Nest's exception shape, which the validation pipe, the auth
 * guard and the HTTP set-up write too. Validation lists every problem in `message`.
 */
export class ApiErrorResponse {
  @ApiProperty({ example: 404 })
  statusCode!: number;

  @ApiProperty({ required: false, example: 'Not Found' })
  error?: string;

  @ApiProperty({ oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], example: 'order 0b5c6d1e-... not found' })
  message!: string | string[];
}

/** The 400, 401 and 403 every `/api` route answers: invalid input or no X-Merchant, no or unknown token, another merchant's token. */
export const ApiRequestErrors = () => applyDecorators(
  ApiBadRequestResponse({ description: 'Invalid input or missing X-Merchant; `message` lists every problem', type: ApiErrorResponse }),
  ApiUnauthorizedResponse({ description: 'Missing or unknown bearer token', type: ApiErrorResponse }),
  ApiForbiddenResponse({ description: 'The token belongs to another merchant', type: ApiErrorResponse }),
);

/** The 400, 401 and 403 of an operator route (`@Operator()`): invalid input, no or unknown operator token, a merchant's token. */
export const ApiOperatorErrors = () => applyDecorators(
  ApiBadRequestResponse({ description: 'Invalid input; `message` lists every problem', type: ApiErrorResponse }),
  ApiUnauthorizedResponse({ description: 'Missing or unknown operator token (ADMIN_TOKENS)', type: ApiErrorResponse }),
  ApiForbiddenResponse({ description: "A merchant's token: this is a service-wide route", type: ApiErrorResponse }),
);
