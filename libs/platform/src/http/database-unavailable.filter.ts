import { ArgumentsHost, Catch, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { FastifyReply } from 'fastify';

/** SQLSTATEs of a database that cannot take the statement now: connection exceptions (08…), too many connections, shutting down or starting up. */
const UNAVAILABLE_STATES = /^(08...|53300|57P01|57P02|57P03)$/;
/** Errors of the client side: the pool's wait for a connection ran out, or the connection went away. */
const UNAVAILABLE_MESSAGES = /timeout exceeded when trying to connect|Connection terminated|Connection ended unexpectedly|connect ECONNREFUSED|read ECONNRESET/i;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/** Whether `error` (pg's, or TypeORM's wrapping it) says the database could not be reached or took no more work, rather than that the statement was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let cause = error as { code?: unknown; message?: unknown; driverError?: unknown } | undefined, depth = 0; cause && depth < 3; depth += 1) {
    if (typeof cause.code === 'string' && (UNAVAILABLE_STATES.test(cause.code) || UNAVAILABLE_CODES.has(cause.code))) return true;
    if (typeof cause.message === 'string' && UNAVAILABLE_MESSAGES.test(cause.message)) return true;
    cause = cause.driverError as typeof cause;
  }
  return false;
}

/**
 * A request that failed because the database could not be reached, or had no connection free
 * within the pool's wait (`connectionTimeoutMillis`), is a 503 with `Retry-After: 1`, not a 500:
 * the request was fine and may be sent again (a write with its `Idempotency-Key`, since a
 * connection lost during a statement leaves its outcome unknown). Everything else is answered as
 * Nest answers it. Registered before the other global filters, so it sees only what they do not catch.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('HTTP');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http' || !isDatabaseUnavailable(exception)) return super.catch(exception, host);
    this.logger.warn({ msg: 'database unavailable', error: (exception as Error).message });
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply
      .status(503)
      .header('retry-after', '1')
      .send({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'the database did not take the request in time; retry (a write with the same Idempotency-Key)',
        retryAfterSeconds: 1,
      });
  }
}
