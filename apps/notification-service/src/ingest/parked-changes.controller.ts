import { Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { OperatorList, PageQuery } from '@ordercast/platform';
import { ParkedChangePageResponse } from './dto/parked-change.response';
import { ParkedChangePage, ParkedChanges } from './parked-changes';

@ApiTags('operator')
@Controller('api/v0/checkout/notifications/operator/parked-changes')
export class ParkedChangesController {
  constructor(private readonly parked: ParkedChanges) {}

  /** Every merchant's parked changes in one list, so an operator's, never a merchant's. */
  @OperatorList('change events whose ingest kept failing or crashing, parked so their partition moves on; newest first', ParkedChangePageResponse)
  list(@Query() { limit, offset }: PageQuery): Promise<ParkedChangePage> {
    return this.parked.list(limit, offset);
  }
}
