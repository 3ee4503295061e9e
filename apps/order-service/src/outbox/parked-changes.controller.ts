import { Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { OperatorList, PageQuery } from '@ordercast/platform';
import { ParkedChangePageResponse } from './dto/parked-change.response';
import { ParkedChangePage, ParkedChanges } from './parked-changes';

@ApiTags('operator')
@Controller('api/v0/checkout/operator/parked-changes')
export class ParkedChangesController {
  constructor(private readonly parked: ParkedChanges) {}

  /** Every merchant's parked changes in one list, so an operator's, never a merchant's. */
  @OperatorList('change events the event bus refused for good (too large, invalid), newest first', ParkedChangePageResponse)
  list(@Query() { limit, offset }: PageQuery): Promise<ParkedChangePage> {
    return this.parked.list(limit, offset);
  }
}
