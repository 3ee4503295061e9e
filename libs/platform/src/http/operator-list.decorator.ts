import { applyDecorators, Get, Type } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Operator } from '../auth/route-access';
import { ApiOperatorErrors } from './api-error.response';

/**
 * A controller's `GET` that lists a service-wide view across merchants, one page at a time
 * (`PageQuery` in, `page` out): operator only, documented under the `operator` tag with the
 * operator route's 400, 401 and 403.
 */
export const OperatorList = (summary: string, page: Type) => applyDecorators(
  Operator(),
  Get(),
  ApiTags('operator'),
  ApiOperation({ summary: `Operator only (ADMIN_TOKENS): ${summary}` }),
  ApiOkResponse({ type: page }),
  ApiOperatorErrors(),
);
