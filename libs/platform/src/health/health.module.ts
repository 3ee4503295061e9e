import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiPropertyOptions, ApiServiceUnavailableResponse, ApiTags, SchemaObject } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorService, TerminusModule, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { EVENT_BUS, EventBus } from '@ordercast/messaging';
import { Public } from '../auth/route-access';

const CHECK_TIMEOUT_MS = 3_000;

/** Whether the event bus answers (Kafka metadata request, or the in-process bus being open). */
@Injectable()
class EventBusHealthIndicator {
  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async check(key: string) {
    const session = this.indicators.check(key);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
    });
    const healthy = await Promise.race([this.bus.isHealthy().catch(() => false), timeout]);
    clearTimeout(timer);
    return healthy ? session.up() : session.down('the event bus does not answer');
  }
}

const CHECK: SchemaObject = { type: 'object', properties: { status: { type: 'string', enum: ['up', 'down'] } }, required: ['status'], additionalProperties: true };
const CHECKS = { type: Object, additionalProperties: CHECK } satisfies ApiPropertyOptions;

/** @nestjs/terminus's answer: the overall status and each check (`database`, `bus`) by outcome. */
class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] })
  status!: HealthCheckResult['status'];

  @ApiProperty({ ...CHECKS, required: false, description: 'Checks that are up' })
  info?: HealthCheckResult['info'];

  @ApiProperty({ ...CHECKS, required: false, description: 'Checks that are down' })
  error?: HealthCheckResult['error'];

  @ApiProperty({ ...CHECKS, description: 'Every check' })
  details!: HealthCheckResult['details'];
}

/** Public: a load balancer or orchestrator probes it without credentials, and it tells only up or down. */
@ApiTags('health')
@Public()
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly bus: EventBusHealthIndicator,
  ) {}

  /** 200 when the database and the event bus answer; 503 with the failing check otherwise. */
  @Get()
  @HealthCheck()
  @ApiOkResponse({ description: 'The database and the event bus answer', type: HealthResponse })
  @ApiServiceUnavailableResponse({ description: 'The database or the event bus does not answer', type: HealthResponse })
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
      () => this.bus.check('bus'),
    ]);
  }
}

/** `GET /health` of both services, through @nestjs/terminus. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [EventBusHealthIndicator],
})
export class HealthModule {}
