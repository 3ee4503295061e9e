import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
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
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (!request.originalUrl.startsWith('/api/')) return next();
    const span = startSpan(service, request.method, SpanKind.SERVER, request.headers, {
      'http.request.method': request.method,
      'url.path': request.originalUrl.split('?')[0],
    });
    if (!span) return next();
    response.once('close', () => {
      const route = (request.route as { path?: unknown } | undefined)?.path;
      if (typeof route === 'string') {
        span.rename(`${request.method} ${route}`);
        span.setAttributes({ 'http.route': route });
      }
      span.setAttributes({ 'http.response.status_code': response.statusCode });
      if (!response.writableFinished) span.fail('the connection closed before the response was sent');
      else if (response.statusCode >= 500) span.fail(`answered ${response.statusCode}`);
      span.end();
    });
    span.run(next);
  });
}
