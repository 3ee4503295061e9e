import { createParamDecorator, ExecutionContext, InternalServerErrorException } from '@nestjs/common';
import type { AuthenticatedRequest } from './api-auth.guard';

/**
 * The authenticated merchant of the request. A handler that asks for it on a route the guard
 * did not authenticate a merchant for (a public or operator route) is a programming error: it
 * fails with a 500 before the handler runs, rather than querying with no tenant.
 */
export const Merchant = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const { merchant } = context.getArgByIndex<Partial<AuthenticatedRequest>>(0);
  if (typeof merchant !== 'string' || merchant === '') throw new InternalServerErrorException('this route reads the merchant, but no merchant was authenticated for it');
  return merchant;
});
