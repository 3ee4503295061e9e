import { BadRequestException, INestApplication, PayloadTooLargeException, ValidationError, ValidationPipe } from '@nestjs/common';
import { json, NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

export const BODY_LIMIT = '256kb';

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => (message.startsWith(error.property) ? `${parent ? parent + '.' : ''}${message}` : `${path}: ${message}`));
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

/** The validation every body and query goes through: whitelist, unknown fields rejected, 400 listing what is wrong. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new BadRequestException({ statusCode: 400, error: 'Bad Request', message: flatten(errors) }),
  });
}

/**
 * Shared HTTP set-up of both services: a request id on every request and response, a body
 * size limit, malformed JSON as a clear 400, and the validation pipe.
 */
export function configureHttpApp(app: INestApplication): void {
  app.use((request: Request, response: Response, next: NextFunction) => {
    const given = request.header('x-request-id');
    const id = given && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : randomUUID();
    (request as Request & { id: string }).id = id;
    response.setHeader('x-request-id', id);
    next();
  });
  app.use(json({ limit: BODY_LIMIT }));
  app.use((error: Error & { type?: string; status?: number }, _request: Request, response: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large') {
      const body = new PayloadTooLargeException(`request body exceeds ${BODY_LIMIT}`).getResponse();
      return response.status(413).json(body);
    }
    if (error.type === 'entity.parse.failed') {
      return response.status(400).json({ statusCode: 400, error: 'Bad Request', message: ['request body is not valid JSON'] });
    }
    next(error);
  });
  app.useGlobalPipes(createValidationPipe());
}
