import { applyDecorators, Get, Type } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { Operator } from '../auth/route-access';
import { ApiOperatorErrors } from './api-error.response';

/**
 * A controller's `GET` that lists a service-wide view across merchants, one page at a time
 * (`PageQuery` in, `page` out): operator only, documented with the operator route's 400, 401
 * and 403. The `operator` tag stays on the controller (`@ApiTags`): a method's tag would come
 * beside the one Swagger derives from an untagged controller's name, not instead of it.
 */
export const OperatorList = (summary: string, page: Type) => applyDecorators(
  Operator(),
  Get(),
  ApiOperation({ summary: `Operator only (ADMIN_TOKENS): ${summary}` }),
  ApiOkResponse({ type: page }),
  ApiOperatorErrors(),
);
