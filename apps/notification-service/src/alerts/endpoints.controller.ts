import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Merchant } from '@ordercast/platform';
import { EndpointHealthQuery } from './dto/endpoint-health.query';
import { EndpointHealthReportResponse } from './dto/endpoint-health.response';
import { EndpointHealthQueries, EndpointHealthReport, MAX_HEALTH_ATTEMPTS } from './endpoint-health';

@ApiTags('alerts')
@Controller('api/v0/checkout/notifications')
export class EndpointsController {
  constructor(private readonly health: EndpointHealthQueries) {}

  @Get('endpoints')
  @ApiOperation({ summary: `Health of the merchant's endpoints over a recent window (at most the ${MAX_HEALTH_ATTEMPTS} newest attempts), and the latest alerts sent` })
  @ApiOkResponse({ type: EndpointHealthReportResponse })
  endpoints(@Merchant() merchant: string, @Query() query: EndpointHealthQuery): Promise<EndpointHealthReport> {
    return this.health.report(merchant, query.windowMinutes);
  }
}
