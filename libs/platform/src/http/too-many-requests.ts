import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** A 429 that tells the client when to come back: its body says why, its `Retry-After` header (and body) in how many seconds. */
export class TooManyRequestsException extends HttpException {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super({ statusCode: 429, error: 'Too Many Requests', message, retryAfterSeconds }, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** Answers a {@link TooManyRequestsException} as Nest answers any HttpException, plus its `Retry-After` header. */
@Catch(TooManyRequestsException)
export class RetryAfterFilter implements ExceptionFilter<TooManyRequestsException> {
  catch(exception: TooManyRequestsException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    void reply.status(429).header('retry-after', String(exception.retryAfterSeconds)).send(exception.getResponse());
  }
}
