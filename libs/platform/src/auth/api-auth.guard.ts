import {
  BadRequestException, CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { headerValue, repeatedHeader } from '../http/header-value';
import { CredentialTable } from './credential-table';
import { ROUTE_ACCESS, RouteAccess } from './route-access';

/** Injection token: map of API token → merchant, from `API_TOKENS`. */
export const API_TOKENS = Symbol('API_TOKENS');
/** Injection token: the operator tokens, from `ADMIN_TOKENS`. */
export const ADMIN_TOKENS = Symbol('ADMIN_TOKENS');

export interface AuthenticatedRequest extends FastifyRequest {
  merchant: string;
}

const MERCHANT_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * The one authentication of both services, installed as the global guard: default deny.
 * What a route needs comes from its own metadata ({@link Public}, {@link Operator}), never from
 * its path, so a route is protected however a request spells the path and a new controller is
 * protected without anyone remembering to.
 * - public: nothing;
 * - operator: `Authorization: Bearer` with a token from `ADMIN_TOKENS` (401 when missing or
 *   unknown, 403 for a merchant's token);
 * - anything else (merchant): `X-Merchant` names the tenant (400 without it), `Authorization:
 *   Bearer` proves it (401 when missing or unknown, an operator token included; 403 when the
 *   token is another merchant's). The merchant is then `request.merchant`.
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  private readonly merchants: CredentialTable<string>;
  private readonly operators: CredentialTable<true>;

  constructor(
    @Inject(API_TOKENS) tokens: ReadonlyMap<string, string>,
    @Inject(ADMIN_TOKENS) adminTokens: readonly string[],
    private readonly reflector: Reflector,
  ) {
    this.merchants = new CredentialTable(tokens);
    this.operators = new CredentialTable(adminTokens.map((token) => [token, true] as const));
  }

  canActivate(context: ExecutionContext): boolean {
    const access = this.reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [context.getHandler(), context.getClass()]);
    if (access === 'public') return true;
    // The request itself: switchToHttp() assigns three new closures onto the context on every call (here, in the
    // interceptors and in the param decorators, several times a request), for what is only argument 0.
    const request = context.getArgByIndex<AuthenticatedRequest>(0);
    if (access === 'operator') return this.authenticateOperator(request);
    return this.authenticateMerchant(request);
  }

  private authenticateOperator(request: FastifyRequest): true {
    const token = bearerToken(request);
    if (this.operators.ownerOf(token)) return true;
    if (this.merchants.ownerOf(token) !== undefined) throw new ForbiddenException('this is a service-wide action: it needs an operator token (ADMIN_TOKENS), not a merchant token');
    throw new UnauthorizedException('unknown operator token');
  }

  private authenticateMerchant(request: AuthenticatedRequest): true {
    const merchant = headerValue(request, 'x-merchant');
    if (!merchant) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: ['X-Merchant header is required'] });
    if (repeatedHeader(request.raw.rawHeaders, 'x-merchant')) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: ['send one X-Merchant header'] });
    if (!MERCHANT_PATTERN.test(merchant)) {
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: ['X-Merchant must be 1 to 100 letters, digits, dots, underscores or hyphens'] });
    }
    const owner = this.merchants.ownerOf(bearerToken(request));
    if (owner === undefined) throw new UnauthorizedException('unknown API token');
    if (owner !== merchant) throw new ForbiddenException(`this token does not belong to merchant "${merchant}"`);
    request.merchant = merchant;
    return true;
  }
}

function bearerToken(request: FastifyRequest): string {
  // Node keeps the first of repeated Authorization headers and drops the rest; a proxy in front may
  // keep the last. Two credentials in one request are refused rather than one picked.
  if (repeatedHeader(request.raw.rawHeaders, 'authorization')) {
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: ['send one Authorization header'] });
  }
  const match = /^Bearer\s+(\S+)$/i.exec(headerValue(request, 'authorization') ?? '');
  if (!match) throw new UnauthorizedException('Authorization: Bearer <token> is required');
  return match[1];
}

