import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { EVENT_BUS, EventBus } from '@ordercast/messaging';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

const CHECK_TIMEOUT_MS = 3_000;

export interface Health {
  status: 'ok' | 'error';
  database: 'up' | 'down';
  bus: 'up' | 'down';
}

/** Liveness of what order-service needs: 200 when the database and the bus answer, 503 otherwise. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  @Get()
  @ApiOkResponse({ description: "{ status: 'ok', database: 'up', bus: 'up' }" })
  @ApiServiceUnavailableResponse({ description: 'The database or the bus does not answer' })
  async check(): Promise<Health> {
    const [database, bus] = await Promise.all([
      answers(this.dataSource.query('SELECT 1').then(() => true)),
      answers(this.bus.isHealthy()),
    ]);
    const health: Health = { status: database && bus ? 'ok' : 'error', database: database ? 'up' : 'down', bus: bus ? 'up' : 'down' };
    if (health.status !== 'ok') throw new ServiceUnavailableException(health);
    return health;
  }
}

/** Whether the probe says yes within the timeout; an error or a hang is a no. */
async function answers(probe: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)));
  try {
    return await Promise.race([probe.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
