import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { SpanKind, startSpan, tracingActive } from './tracing';

/**
 * A server span per API request (under `/api`: health probes, metrics scrapes and dashboard assets
 * would only bury the traces worth reading), child of the caller's `traceparent` if it sent one, active while
 * the request is handled: what the request writes (an order change and its outbox row) is part of
 * its trace. Named by the route pattern, never the path (ids stay out of span names); no header or
 * body is recorded. Registers nothing when tracing is off.
 */
export function traceHttpRequests(app: INestApplication, service: string): void {
  if (!tracingActive()) return;
  // After the body is read and checked (configureHttpApp's hook of the same stage runs first), like the handler it wraps.
  (app.getHttpAdapter().getInstance() as FastifyInstance).addHook('preValidation', (request, reply, done) => {
    const url = request.raw.url ?? '';
    if (!url.startsWith('/api/')) return done();
    const span = startSpan(service, request.method, SpanKind.SERVER, request.headers, {
      'http.request.method': request.method,
      'url.path': url.split('?')[0],
    });
    if (!span) return done();
    const response = reply.raw;
    response.once('close', () => {
      const route = request.is404 ? undefined : request.routeOptions.url;
      if (typeof route === 'string') {
        span.rename(`${request.method} ${route}`);
        span.setAttributes({ 'http.route': route });
      }
      span.setAttributes({ 'http.response.status_code': response.statusCode });
      if (!response.writableFinished) span.fail('the connection closed before the response was sent');
      else if (response.statusCode >= 500) span.fail(`answered ${response.statusCode}`);
      span.end();
    });
    span.run(done);
  });
}
