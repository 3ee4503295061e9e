import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiOperatorErrors, Operator } from '@ordercast/platform';
import { ListParkedChangesQuery } from './dto/list-parked-changes.query';
import { ParkedChangePageResponse } from './dto/parked-change.response';
import { ParkedChangePage, ParkedChanges } from './parked-changes';

@ApiTags('operator')
@ApiOperatorErrors()
@Controller('api/v0/checkout/operator/parked-changes')
export class ParkedChangesController {
  constructor(private readonly parked: ParkedChanges) {}

  /** Every merchant's parked changes in one list, so an operator's, never a merchant's. */
  @Operator()
  @Get()
  @ApiOperation({ summary: 'Operator only (ADMIN_TOKENS): change events the event bus refused for good (too large, invalid), newest first' })
  @ApiOkResponse({ type: ParkedChangePageResponse })
  list(@Query() { limit, offset }: ListParkedChangesQuery): Promise<ParkedChangePage> {
    return this.parked.list(limit, offset);
  }
}
