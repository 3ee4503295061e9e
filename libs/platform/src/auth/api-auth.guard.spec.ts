import { BadRequestException, Controller, ForbiddenException, HttpException, InternalServerErrorException, Type, UnauthorizedException } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { ApiAuthGuard, AuthenticatedRequest } from './api-auth.guard';
import { Merchant } from './merchant.decorator';
import { Operator, Public } from './route-access';

const OPERATOR_TOKEN = 'operator-token-0123456789';

@Controller()
class Routes {
  merchantRoute(): void {}
  @Public() publicRoute(): void {}
  @Operator() operatorRoute(): void {}
}

@Public()
@Controller()
class PublicRoutes {
  page(): void {}
  @Operator() rotate(): void {}
}

function fakeRequest(headers: Record<string, string>, repeatedHeaders: Array<[string, string]> = []): AuthenticatedRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  // Node keeps names as sent in rawHeaders, repeats included, and the first of a repeated Authorization in headers.
  const rawHeaders = [...Object.entries(headers), ...repeatedHeaders].flat();
  // The path is what the old guard decided by; no route here may depend on it. Node lower-cases header names, as here.
  return { url: '/API/v0/checkout/anything', headers: lower, raw: { rawHeaders } } as unknown as AuthenticatedRequest;
}

/** The guard's verdict: true, or the status of the exception it threw. */
function verdict(controller: Type, handler: string, headers: Record<string, string>, repeatedHeaders: Array<[string, string]> = []): { result: true | number; merchant?: string } {
  const guard = new ApiAuthGuard(new Map([['alpha-token-1', 'alpha'], ['beta-token-1', 'beta']]), [OPERATOR_TOKEN], new Reflector());
  const request = fakeRequest(headers, repeatedHeaders);
  const method = (controller.prototype as Record<string, () => void>)[handler];
  const context = new ExecutionContextHost([request, {}, () => undefined], controller, method);
  try {
    return { result: guard.canActivate(context) as true, merchant: request.merchant };
  } catch (error) {
    if (error instanceof HttpException) return { result: error.getStatus() };
    throw error;
  }
}

const ALPHA = { 'X-Merchant': 'alpha', Authorization: 'Bearer alpha-token-1' };

describe('ApiAuthGuard: default deny by route metadata', () => {
  it('lets an unmarked (merchant) route through only with the merchant and its own token, and records the merchant', () => {
    expect(verdict(Routes, 'merchantRoute', ALPHA)).toEqual({ result: true, merchant: 'alpha' });
    expect(verdict(Routes, 'merchantRoute', { ...ALPHA, Authorization: 'bearer  alpha-token-1' })).toEqual({ result: true, merchant: 'alpha' });
    expect(verdict(Routes, 'merchantRoute', {}).result).toBe(new BadRequestException().getStatus());
    expect(verdict(Routes, 'merchantRoute', { 'X-Merchant': 'alpha' }).result).toBe(new UnauthorizedException().getStatus());
    expect(verdict(Routes, 'merchantRoute', { 'X-Merchant': 'alpha', Authorization: 'Bearer nope-nope-nope' }).result).toBe(401);
    expect(verdict(Routes, 'merchantRoute', { 'X-Merchant': 'alpha', Authorization: 'Basic alpha-token-1' }).result).toBe(401);
    expect(verdict(Routes, 'merchantRoute', { 'X-Merchant': 'beta', Authorization: 'Bearer alpha-token-1' }).result).toBe(new ForbiddenException().getStatus());
    expect(verdict(Routes, 'merchantRoute', { 'X-Merchant': 'alpha/..', Authorization: 'Bearer alpha-token-1' }).result).toBe(400);
  });

  it('refuses a request with two Authorization headers (400), whichever comes first', () => {
    expect(verdict(Routes, 'merchantRoute', ALPHA, [['authorization', 'Bearer beta-token-1']]).result).toBe(400);
    expect(verdict(Routes, 'merchantRoute', ALPHA, [['AUTHORIZATION', 'Bearer alpha-token-1']]).result).toBe(400);
    expect(verdict(PublicRoutes, 'rotate', { Authorization: `Bearer ${OPERATOR_TOKEN}` }, [['Authorization', 'Bearer alpha-token-1']]).result).toBe(400);
  });

  it('refuses two X-Merchant headers, and says what is wrong with a merchant that is there but malformed', () => {
    const refusal = (headers: Record<string, string>, repeated: Array<[string, string]> = []) => {
      try {
        new ApiAuthGuard(new Map([['alpha-token-1', 'alpha']]), [], new Reflector()).canActivate(new ExecutionContextHost([fakeRequest(headers, repeated), {}, () => undefined], Routes, Routes.prototype.merchantRoute));
      } catch (error) {
        return ((error as HttpException).getResponse() as { message: string[] }).message;
      }
      return null;
    };
    expect(refusal(ALPHA, [['x-merchant', 'alpha']])).toEqual(['send one X-Merchant header']);
    expect(refusal({ ...ALPHA, 'X-Merchant': 'alph\u0435' })).toEqual(['X-Merchant must be 1 to 100 letters, digits, dots, underscores or hyphens']);
    expect(refusal({ Authorization: 'Bearer alpha-token-1' })).toEqual(['X-Merchant header is required']);
  });

  it('refuses an operator token on a merchant route (401): it names no merchant', () => {
    expect(verdict(Routes, 'merchantRoute', { 'X-Merchant': 'alpha', Authorization: `Bearer ${OPERATOR_TOKEN}` }).result).toBe(401);
  });

  it('lets a public route through with no credential at all, whatever the path', () => {
    expect(verdict(Routes, 'publicRoute', {})).toEqual({ result: true });
    expect(verdict(PublicRoutes, 'page', {})).toEqual({ result: true });
  });

  it('lets an operator route through only with an operator token: 403 for a merchant token, 401 for none or an unknown one', () => {
    expect(verdict(Routes, 'operatorRoute', { Authorization: `Bearer ${OPERATOR_TOKEN}` })).toEqual({ result: true });
    expect(verdict(Routes, 'operatorRoute', { 'X-Merchant': 'alpha', Authorization: `Bearer ${OPERATOR_TOKEN}` })).toEqual({ result: true });
    expect(verdict(Routes, 'operatorRoute', ALPHA).result).toBe(403);
    expect(verdict(Routes, 'operatorRoute', { Authorization: 'Bearer beta-token-1' }).result).toBe(403);
    expect(verdict(Routes, 'operatorRoute', {}).result).toBe(401);
    expect(verdict(Routes, 'operatorRoute', { Authorization: `Bearer ${OPERATOR_TOKEN}x` }).result).toBe(401);
  });

  it('reads a handler marking over its class marking', () => {
    expect(verdict(PublicRoutes, 'rotate', {}).result).toBe(401);
    expect(verdict(PublicRoutes, 'rotate', { Authorization: `Bearer ${OPERATOR_TOKEN}` })).toEqual({ result: true });
  });

  it('has no operator at all when ADMIN_TOKENS is empty', () => {
    const guard = new ApiAuthGuard(new Map([['alpha-token-1', 'alpha']]), [], new Reflector());
    const context = new ExecutionContextHost([fakeRequest({ Authorization: `Bearer ${OPERATOR_TOKEN}` }), {}, () => undefined], Routes, Routes.prototype.operatorRoute);
    expect(() => guard.canActivate(context)).toThrow(UnauthorizedException);
  });
});

describe('@Merchant()', () => {
  /** The function Nest calls to resolve a @Merchant() argument. */
  function merchantFactory(): (data: unknown, context: ExecutionContextHost) => string {
    class Probe {
      handler(@Merchant() merchant: string): string {
        return merchant;
      }
    }
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handler') as Record<string, { factory: (data: unknown, context: ExecutionContextHost) => string }>;
    return Object.values(args)[0].factory;
  }
  const contextOf = (request: Partial<AuthenticatedRequest>) => new ExecutionContextHost([request, {}, () => undefined]);

  it('is the merchant the guard authenticated', () => {
    expect(merchantFactory()(undefined, contextOf({ merchant: 'alpha' }))).toBe('alpha');
  });

  it('fails as a programming error (500) when no merchant was authenticated, so the handler never queries without a tenant', () => {
    expect(() => merchantFactory()(undefined, contextOf({}))).toThrow(InternalServerErrorException);
    expect(() => merchantFactory()(undefined, contextOf({ merchant: '' }))).toThrow(InternalServerErrorException);
  });
});
