import { Logger as NestLogger } from '@nestjs/common';
import type { Logger } from 'typeorm';

/**
 * TypeORM's own loggers print a failed query with its parameters: order documents with customer
 * details, sealed secrets, delivery bodies. This one logs the failure, the statement's first line
 * and how many parameters it had, never their values, through the app's logger.
 */
export class QueryLogger implements Logger {
  private readonly logger = new NestLogger('Database');

  logQuery(): void {}

  logQueryError(error: string | Error, query: string, parameters?: unknown[]): void {
    this.logger.error({ msg: 'query failed', error: error instanceof Error ? error.message : error, query: firstLine(query), parameters: parameters?.length ?? 0 });
  }

  logQuerySlow(time: number, query: string, parameters?: unknown[]): void {
    this.logger.warn({ msg: 'slow query', ms: time, query: firstLine(query), parameters: parameters?.length ?? 0 });
  }

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.log({ msg: message });
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn({ msg: String(message) });
  }
}

function firstLine(query: string): string {
  return query.trim().split('\n')[0].slice(0, 200);
}
