import {
  BadRequestException, CanActivate, createParamDecorator, ExecutionContext, ForbiddenException, Inject, Injectable,
  SetMetadata, UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/** Injection token: map of API token → merchant, from `API_TOKENS`. */
export const API_TOKENS = Symbol('API_TOKENS');
const PUBLIC_ROUTE = 'ordercast:public';

/** Marks a route (such as the JWKS) as reachable without merchant and token. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

export interface AuthenticatedRequest extends Request {
  merchant: string;
}

/**
 * Every `/api` route: `X-Merchant` names the tenant (400 without it), `Authorization: Bearer`
 * proves it (401 when missing or unknown, 403 when the token is another merchant's).
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    @Inject(API_TOKENS) private readonly tokens: Map<string, string>,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]);
    if (isPublic || !request.path.startsWith('/api/')) return true;

    const merchant = request.header('x-merchant');
    if (!merchant || !/^[A-Za-z0-9._-]{1,100}$/.test(merchant)) throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: ['X-Merchant header is required'] });
    const match = /^Bearer\s+(\S+)$/i.exec(request.header('authorization') ?? '');
    if (!match) throw new UnauthorizedException('Authorization: Bearer <token> is required');
    const owner = this.ownerOf(match[1]);
    if (owner === undefined) throw new UnauthorizedException('unknown API token');
    if (owner !== merchant) throw new ForbiddenException(`this token does not belong to merchant "${merchant}"`);
    request.merchant = merchant;
    return true;
  }

  private ownerOf(token: string): string | undefined {
    const given = Buffer.from(token);
    for (const [known, merchant] of this.tokens) {
      const expected = Buffer.from(known);
      if (expected.length === given.length && timingSafeEqual(expected, given)) return merchant;
    }
    return undefined;
  }
}

/** The authenticated merchant of the request. */
export const Merchant = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  return context.switchToHttp().getRequest<AuthenticatedRequest>().merchant;
});
