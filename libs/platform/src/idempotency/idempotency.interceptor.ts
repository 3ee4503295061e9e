import {
  BadRequestException, CallHandler, ConflictException, ExecutionContext, HttpStatus, Inject, Injectable, InternalServerErrorException, NestInterceptor,
  RequestMethod, UnprocessableEntityException,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { defer, lastValueFrom, Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { SECRET_BOX, SecretBox } from '../crypto/secret-box';
import { tenantConnection } from '../database/tenant-scope';
import { headerValue, repeatedHeader } from '../http/header-value';
import { parseIdempotencyKey, requestFingerprint } from './idempotency-key';
import { findIdempotencyKey, lockIdempotencyKey, saveIdempotencyKey } from './idempotency-keys';
import { IDEMPOTENT_ROUTE, IdempotentOptions } from './idempotent.decorator';

export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * `Idempotency-Key` (IETF draft) for the routes marked `@Idempotent()`. It runs inside the
 * request's tenant transaction (TenantScopeInterceptor calls it inside the scope), so the key and the change
 * it guards commit together or not at all:
 *
 * 1. take the key's transaction lock without waiting: held by another transaction means a request
 *    with this key is still running, 409;
 * 2. a stored response for the key: the same request (method, URL, listed headers, body) gets it
 *    again with `Idempotent-Replayed: true` and nothing runs; a different request, 422;
 * 3. otherwise the handler runs and its response is stored, sealed (bodies may carry a secret
 *    shown once, and always carry customer data), in the same transaction, before it commits.
 *
 * Only successes are stored. A handler that throws rolls its transaction back, key row included,
 * so after a 4xx or 5xx the client may retry with the same key (the draft leaves this to the
 * server; a stored error would pin a transient failure for 24 hours). Because a key is stored
 * only in the transaction of its change, a crash after the commit and before the response leaves
 * a complete row behind: the client's retry is a replay, never a second change.
 * Requests without the header run as before.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const route = this.reflector.get<Required<IdempotentOptions> | undefined>(IDEMPOTENT_ROUTE, context.getHandler());
    const request = context.getArgByIndex<FastifyRequest & { merchant?: string }>(0);
    const header = headerValue(request, 'idempotency-key');
    if (!route || header === undefined) return next.handle();
    if (repeatedHeader(request.raw.rawHeaders, 'idempotency-key')) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: ['send one Idempotency-Key header'] });
    const parsed = parseIdempotencyKey(header);
    if ('error' in parsed) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [parsed.error] });
    const { merchant } = request;
    const connection = merchant ? tenantConnection(this.dataSource) : null;
    if (!merchant || !connection) throw new InternalServerErrorException('an idempotent route must run in a merchant tenant scope');
    const fingerprint = requestFingerprint({
      method: request.method,
      url: request.originalUrl,
      headers: Object.fromEntries(route.headers.map((name) => [name, headerValue(request, name)])),
      body: request.body,
    });
    const response = context.getArgByIndex<FastifyReply>(1);
    const status = successStatus(this.reflector, context, request.method);

    return defer(async () => {
      const client = await connection;
      if (!(await lockIdempotencyKey(client, merchant, parsed.key))) {
        throw new ConflictException('a request with this Idempotency-Key is still being processed; retry once it has finished');
      }
      const stored = await findIdempotencyKey(client, merchant, parsed.key);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          throw new UnprocessableEntityException('this Idempotency-Key was used for a different request (method, path or body); use a new key');
        }
        void response.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
        return stored.body === null ? undefined : (JSON.parse(this.box.decrypt(stored.body, 'idempotent-responses')) as unknown);
      }
      const result: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      const body = result === undefined ? null : this.box.encrypt(JSON.stringify(result), 'idempotent-responses');
      await saveIdempotencyKey(client, merchant, parsed.key, { fingerprint, status, body });
      return result;
    });
  }
}

/**
 * The status a successful response of the route gets (its `@HttpCode`, else 201 for POST and 200
 * otherwise, as Nest answers): a route's success status is fixed, so a replay answers the same.
 */
function successStatus(reflector: Reflector, context: ExecutionContext, method: string): number {
  const declared = reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler());
  return declared ?? (method.toUpperCase() === RequestMethod[RequestMethod.POST] ? HttpStatus.CREATED : HttpStatus.OK);
}
