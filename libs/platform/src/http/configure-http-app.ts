import { BadRequestException, INestApplication, Logger, LoggerService, PayloadTooLargeException, ValidationError, ValidationPipe } from '@nestjs/common';
import { Application, json, NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { requestContext } from '../logging/request-context';

export const BODY_LIMIT = '256kb';
/** Far deeper than any order, registration or schema; validation and storage recurse, so a deeper body is refused first. */
export const MAX_BODY_DEPTH = 64;
/** With the `u` flag a range of surrogates matches only those not part of a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * What makes a parsed JSON body (or, with `what` = "query string", a parsed query) unfit for validation, or null:
 * - nesting deeper than {@link MAX_BODY_DEPTH}: validation and storage recurse, and would overflow the stack;
 * - a `__proto__` key: JSON.parse keeps it as data, class-transformer drops it silently (so the
 *   whitelist never reports it), and code copying the body by assignment would set a prototype with it;
 * - a NUL character (`\u0000`) in a key or string: PostgreSQL's jsonb and text cannot store it, so
 *   the write would fail with a 500 instead of a 400;
 * - an unpaired UTF-16 surrogate (`"\ud800"`) in a key or string: JSON.parse accepts the escape, but
 *   it is no Unicode character, PostgreSQL's jsonb refuses it (500 again) and UTF-8 cannot carry it.
 * Walked without recursion.
 */
export function bodyShapeProblem(value: unknown, what = 'request body'): string | null {
  const pending: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  while (pending.length > 0) {
    const { node, depth } = pending.pop()!;
    if (typeof node === 'string' && node.includes('\u0000')) return `${what} must not contain NUL characters (\\u0000)`;
    if (typeof node === 'string' && LONE_SURROGATE.test(node)) return `${what} must not contain unpaired UTF-16 surrogates (such as \\ud800)`;
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) return `${what} is nested deeper than ${MAX_BODY_DEPTH} levels`;
    if (Object.prototype.hasOwnProperty.call(node, '__proto__')) return `${what} must not contain a "__proto__" key`;
    for (const [key, child] of Object.entries(node)) pending.push({ node: key, depth }, { node: child, depth: depth + 1 });
  }
  return null;
}

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
 * Shared HTTP set-up of both services: a request id on every request, response and log line, an
 * access log line per request (`debug`; `warn` for a 5xx), nosniff, a body size limit (after
 * decompression), malformed, too deeply nested or prototype-setting JSON as a clear 400, and the
 * validation pipe. The parsed query string gets the same shape check as the body: filters reach
 * PostgreSQL as parameters, and a NUL or lone surrogate there fails the query with a 500. No
 * `X-Powered-By`: the framework is nobody's business.
 */
export function configureHttpApp(app: INestApplication, logger: LoggerService = new Logger()): void {
  (app.getHttpAdapter().getInstance() as Application).disable('x-powered-by');
  app.use((request: Request, response: Response, next: NextFunction) => {
    const given = request.header('x-request-id');
    const id = given && /^[A-Za-z0-9._-]{1,100}$/.test(given) ? given : randomUUID();
    (request as Request & { id: string }).id = id;
    response.setHeader('x-request-id', id);
    // Responses carry text from targets and merchants (response bodies, references): never let a browser sniff them as markup.
    response.setHeader('x-content-type-options', 'nosniff');
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      // The path without its query (which may carry references); never headers or bodies.
      const line = {
        msg: 'request', requestId: id, method: request.method, path: request.originalUrl.split('?')[0], status: response.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      };
      if (response.statusCode >= 500) logger.warn(line, 'HTTP');
      else logger.debug?.(line, 'HTTP');
    });
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
    // Any other refusal of the body parser (unsupported encoding or charset, aborted upload) as JSON, never as an HTML stack trace.
    if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
      return response.status(error.status).json({ statusCode: error.status, error: STATUS_CODES[error.status], message: [error.message] });
    }
    next(error);
  });
  app.use((request: Request, response: Response, next: NextFunction) => {
    const problem = bodyShapeProblem(request.body) ?? bodyShapeProblem(request.query, 'query string');
    if (problem === null) return requestContext.run((request as Request & { id: string }).id, next);
    response.status(400).json({ statusCode: 400, error: 'Bad Request', message: [problem] });
  });
  app.useGlobalPipes(createValidationPipe());
}
