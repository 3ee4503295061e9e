import { Controller, Get, Header, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { Public } from '../auth/route-access';

/**
 * One Prometheus registry per app (both apps may share a process in the embedded default),
 * with default process metrics and HTTP request metrics; features register their own
 * metrics on it through {@link MetricsRegistry}.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests served, by method, route and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
  }
}

/**
 * Public, so a Prometheus scraper needs no credential, because no series names a merchant: the
 * label sets are method, route pattern and status here; delivery status, partition and due
 * bucket in notification-service. This is a rule for every metric added later: a label that
 * can carry a merchant, channel, order, target or any other tenant value makes this route
 * operator-only (`@Operator()`) instead. The route-matrix suite checks that a scrape after
 * traffic holds none of a merchant's ids.
 */
@ApiExcludeController()
@Public()
@Controller('metrics')
class MetricsController {
  constructor(private readonly metrics: MetricsRegistry) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Module({ providers: [MetricsRegistry], controllers: [MetricsController], exports: [MetricsRegistry] })
export class MetricsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost, private readonly metrics: MetricsRegistry) {}

  /** Counts every answered request, routed or not; runs before the server is ready, while hooks may still be added. */
  onModuleInit(): void {
    const http = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    http?.addHook('onResponse', (request, reply, done) => {
      // The matched route pattern keeps label cardinality bounded (ids are not labels).
      const route = request.is404 ? 'unmatched' : request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      this.metrics.httpRequests.inc({ method, route, status: String(reply.statusCode) });
      this.metrics.httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
      done();
    });
  }
}
