import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
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
  @ApiOkResponse({ description: "{ status: 'ok', info: { database: { status: 'up' }, bus: { status: 'up' } } }" })
  @ApiServiceUnavailableResponse({ description: 'The database or the event bus does not answer' })
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
