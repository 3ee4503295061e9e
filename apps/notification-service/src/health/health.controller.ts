import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { EVENT_BUS, EventBus } from '@ordercast/messaging';
import { DataSource } from 'typeorm';

type Check = 'up' | 'down';

export interface Health {
  status: 'ok' | 'unavailable';
  checks: { database: Check; bus: Check };
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  /** 200 when the database and the event bus answer, 503 otherwise. */
  @Get()
  async check(): Promise<Health> {
    const [database, bus] = await Promise.all([
      this.dataSource.query('SELECT 1').then((): Check => 'up', (): Check => 'down'),
      this.bus.isHealthy().then((healthy): Check => (healthy ? 'up' : 'down'), (): Check => 'down'),
    ]);
    const health: Health = { status: database === 'up' && bus === 'up' ? 'ok' : 'unavailable', checks: { database, bus } };
    if (health.status !== 'ok') throw new ServiceUnavailableException(health);
    return health;
  }
}
