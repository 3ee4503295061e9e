import { HttpException } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import { BODY_LIMIT_BYTES, requestIdOf } from './configure-http-app';
import { answerClientError } from './pipelining';

/** Node's own limit on a request head (16 KiB) is the only bound on a path, as it was under Express. */
const MAX_PARAM_LENGTH = 16 * 1024;

/** What `http.createServer` gives a request to arrive in whole, as the services had under Express. */
const NODE_REQUEST_TIMEOUT_MS = 300_000;

/** Every route each instance registered, as `METHOD /path/:param`, in the order they were added. */
const registered = new WeakMap<FastifyInstance, string[]>();

/**
 * The Fastify both services run on, routing as strictly as the Express before it did:
 * - case-sensitive, no trailing-slash or duplicate-slash tolerance: `/API/...`, `/api/V0/...`,
 *   `/api/v0/checkout/orders/` and `//api/...` match no route (404) instead of reaching a handler
 *   by another spelling than the one declared;
 * - a literal segment must be spelled literally: Fastify's router decodes the path before it
 *   matches, so `/%61pi/...` would reach `/api/...`; Express matched the path as sent, and so does
 *   the check below (path parameters are decoded as before);
 * - path parameters of any length (Fastify's default of 100 characters would turn a long channel
 *   name into a 404 instead of the 400 naming the rule);
 * - query strings parsed by `node:querystring`, as Express 5's "simple" parser did: a repeated key
 *   becomes an array, brackets are no syntax (`orderId[$ne]` is a key of its own);
 * - Node's 300-second limit on receiving a request (Fastify's default is none); Fastify's 72-second
 *   keep-alive (Node's is 5 s), longer than the 60 s idle timeout of common load balancers, so they
 *   never reuse a connection the service is closing;
 * - the request id from {@link requestIdOf}; no middleware engine (hooks do that work, once per
 *   request, without Express-style `req`/`res` wrappers);
 * - a refusal Fastify or one of its plugins raises itself (a malformed URL, a static file path
 *   outside its folder) answered as the 4xx it names, in the shape of every other refusal, not
 *   logged as an unknown error.
 * JSON bodies, limits and the shared hooks are set up by `configureHttpApp`.
 */
export function strictFastifyAdapter(): FastifyAdapter {
  const adapter = new StrictFastifyAdapter({
    skipMiddie: true,
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: NODE_REQUEST_TIMEOUT_MS,
    genReqId: (request: IncomingMessage) => requestIdOf(request.headers['x-request-id']),
    clientErrorHandler: answerClientError,
    // A path Fastify cannot even route (a malformed percent-encoding) is answered before any hook runs: the same headers and shape here.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 400;
      void reply.headers({ 'x-request-id': request.id, 'x-content-type-options': 'nosniff' }).code(status)
        .send({ statusCode: status, error: STATUS_CODES[status], message: [error.message] });
    },
    routerOptions: {
      caseSensitive: true,
      ignoreTrailingSlash: false,
      ignoreDuplicateSlashes: false,
      maxParamLength: MAX_PARAM_LENGTH,
      querystringParser: (query: string) => parseQueryString(query),
    },
  });
  const instance = adapter.getInstance() as unknown as FastifyInstance;
  const routes: string[] = [];
  registered.set(instance, routes);
  instance.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push(`${method} ${route.url}`);
  });
  instance.addHook('onRequest', refuseEncodedLiterals);
  return adapter;
}

/**
 * Every route the app's router holds, as `METHOD /path/:param` (the HEAD twins of GET routes
 * included), read from the router's registrations rather than from the docs or the controllers,
 * so an undocumented route is listed too.
 */
export function registeredRoutes(instance: FastifyInstance): readonly string[] {
  const routes = registered.get(instance);
  if (!routes) throw new Error('registeredRoutes: the instance was not created by strictFastifyAdapter()');
  return routes;
}

/** The segments of a route pattern up to a wildcard, by route; patterns are few and fixed. */
const patternSegments = new Map<string, string[]>();

/**
 * A request whose path spells a literal segment of its route with a percent-encoding is answered
 * by the not-found handler, as Express, which matched the path undecoded, answered it. Runs only
 * for paths with a `%`.
 */
function refuseEncodedLiterals(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const url = request.raw.url ?? '';
  const end = url.indexOf('?');
  const path = end === -1 ? url : url.slice(0, end);
  if (request.is404 || !path.includes('%')) return done();
  const pattern = request.routeOptions.url ?? '';
  let segments = patternSegments.get(pattern);
  if (!segments) {
    segments = pattern.split('/');
    patternSegments.set(pattern, segments);
  }
  const sent = path.split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (segment === '*') return done();
    if (i >= sent.length || (!segment.startsWith(':') && sent[i] !== segment)) {
      reply.callNotFound();
      return;
    }
  }
  if (sent.length !== segments.length) reply.callNotFound();
  else done();
}

type ErrorHandler = Parameters<FastifyAdapter['setErrorHandler']>[0];

class StrictFastifyAdapter extends FastifyAdapter {
  override setErrorHandler(handler: ErrorHandler): ReturnType<FastifyAdapter['setErrorHandler']> {
    return super.setErrorHandler((error: unknown, ...rest: unknown[]) => (handler as (...args: unknown[]) => unknown)(asHttpException(error), ...rest));
  }
}

/** An error that carries a 4xx `statusCode` of its own (Fastify's, `@fastify/static`'s) as the Nest exception it stands for. */
function asHttpException(error: unknown): unknown {
  if (error instanceof HttpException || !(error instanceof Error)) return error;
  const status = (error as Error & { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return error;
  return new HttpException({ statusCode: status, error: STATUS_CODES[status], message: [error.message] }, status, { cause: error });
}
