import { Logger } from '@nestjs/common';
import { Attributes, context, Context, diag, DiagLogLevel, DiagLogger, propagation, ProxyTracerProvider, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace, Tracer, TracerProvider } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingSettings } from './tracing-settings';

export { SpanKind };

/**
 * The W3C Trace Context of a span (`traceparent`, and `tracestate` when there is one), as the
 * headers that carry it across a boundary: the outbox row, the Kafka message, the webhook request.
 */
export type TraceHeaders = {
  traceparent: string;
  tracestate?: string;
};

/** Headers a parent context is read from: a stored {@link TraceHeaders}, Kafka message headers, HTTP request headers. */
export type TraceCarrier = Readonly<Record<string, string | string[] | undefined>>;

/** A span started by {@link startSpan}. */
export interface TraceSpan {
  /** This span's context as W3C headers, to send with what it sends. */
  readonly headers: TraceHeaders;
  /** Runs `work` with this span as the active one (its context flows through the awaits inside). */
  run<T>(work: () => T): T;
  setAttributes(attributes: Attributes): void;
  rename(name: string): void;
  /** Marks the span failed, with the reason as its status message. */
  fail(reason: string): void;
  end(): void;
}

/** What {@link startTracing} exports to: the settings of the environment, or an exporter of the caller's (tests). */
export type TracingSetup = TracingSettings | { exporter: SpanExporter };

/** Stops one service's tracing: flushes its spans and, after the last service of the process, the global set-up. */
export interface TracingHandle {
  shutdown(): Promise<void>;
}

interface ServiceProvider extends TracerProvider {
  shutdown(): Promise<void>;
}

/** One tracer provider per service, so that both services in one process (`npm start`, tests) keep their own `service.name`. */
const providers = new Map<string, ServiceProvider>();
const tracers = new Map<string, Tracer>();

/** Without a delegate it hands out no-op tracers. */
const noTracers = new ProxyTracerProvider();

/**
 * The global tracer provider while tracing is on: hands each service the tracer of its own provider;
 * any other name (a library's) gets the first service's.
 */
const serviceRouter: TracerProvider = {
  getTracer(name, version, options) {
    return (providers.get(name) ?? providers.values().next().value ?? noTracers).getTracer(name, version, options);
  },
};

/**
 * Whether any service of this process traces. Every helper here checks it first and does nothing
 * when it is false: with tracing off no SDK module is even loaded, and the hot paths pay one
 * boolean test.
 */
export function tracingActive(): boolean {
  return providers.size > 0;
}

/**
 * Starts tracing `service` (its `service.name`, unless `OTEL_SERVICE_NAME` or
 * `OTEL_RESOURCE_ATTRIBUTES` say otherwise) and returns how to stop it; null when `setup` is
 * null (off), which loads nothing. The first service to start installs the global context manager
 * (AsyncLocalStorage) and the W3C Trace Context propagator. Spans are sampled parent-based: a
 * caller's `traceparent` with sampled=0 is honoured, everything else is recorded.
 */
export async function startTracing(service: string, setup: TracingSetup | null): Promise<TracingHandle | null> {
  if (setup === null) return null;
  const [{ BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor }, resources, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }] = await Promise.all([
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
  ]);
  const spanProcessors = 'exporter' in setup
    ? [new SimpleSpanProcessor(setup.exporter)]
    : await Promise.all(setup.exporters.map(async (kind) => {
      if (kind === 'console') return new SimpleSpanProcessor(new ConsoleSpanExporter());
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new BatchSpanProcessor(new OTLPTraceExporter({ url: setup.otlpTracesUrl }));
    }));
  const resource = resources.resourceFromAttributes({ 'service.name': service })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  if (providers.has(service)) throw new Error(`tracing of ${service} is started already`);
  if (providers.size === 0) {
    diag.setLogger(diagnostics, DiagLogLevel.WARN);
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(serviceRouter);
  }
  providers.set(service, new BasicTracerProvider({ resource, spanProcessors }));
  return {
    // Never rejects: a collector that is down must not fail the service's shutdown; the spans still buffered are lost, and said so.
    shutdown: async () => {
      const provider = providers.get(service);
      providers.delete(service);
      tracers.delete(service);
      await provider?.shutdown().catch((error: unknown) => diagnostics.warn(`could not export the last spans of ${service}`, error));
      if (providers.size === 0) uninstallGlobals();
    },
  };
}

function uninstallGlobals(): void {
  trace.disable();
  propagation.disable();
  context.disable();
  diag.disable();
}

/** The SDK's own warnings and errors (a collector that cannot be reached, spans dropped) as warnings of the service log. */
const diagnostics: DiagLogger = (() => {
  const logger = new Logger('OpenTelemetry');
  const warn = (message: string, ...args: unknown[]) => logger.warn({ msg: message, details: args.map((arg) => (arg instanceof Error ? arg.message : String(arg))) });
  const ignore = () => undefined;
  return { error: warn, warn, info: ignore, debug: ignore, verbose: ignore };
})();

/**
 * The context of the span active now (the API request's, see `traceHttpRequests`) as W3C headers,
 * or null: nothing to continue, or tracing off. What a write stores to be continued later.
 */
export function activeTraceHeaders(): TraceHeaders | null {
  if (!tracingActive()) return null;
  return headersOf(context.active());
}

/**
 * Starts a span of `service`, child of the context in `parent` (W3C headers, read with the
 * propagator), or a new trace when `parent` holds none. The parent is always explicit, never
 * whatever happens to be active, because the five points of the path continue contexts that
 * crossed a process or a table. Null when tracing is off: call sites use `span?.`.
 */
export function startSpan(service: string, name: string, kind: SpanKind, parent: TraceCarrier | null, attributes: Attributes = {}): TraceSpan | null {
  if (!tracingActive()) return null;
  const parentContext = parent === null ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, parent);
  return new StartedSpan(tracerOf(service).startSpan(name, { kind, attributes }, parentContext));
}

function tracerOf(service: string): Tracer {
  let tracer = tracers.get(service);
  if (!tracer) {
    tracer = serviceRouter.getTracer(service);
    if (providers.has(service)) tracers.set(service, tracer);
  }
  return tracer;
}

function headersOf(active: Context): TraceHeaders | null {
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  if (carrier.traceparent === undefined) return null;
  return carrier.tracestate === undefined ? { traceparent: carrier.traceparent } : { traceparent: carrier.traceparent, tracestate: carrier.tracestate };
}

class StartedSpan implements TraceSpan {
  private injected: TraceHeaders | null = null;

  constructor(private readonly span: Span) {}

  get headers(): TraceHeaders {
    // A started span always has a valid context, so injecting it always yields a traceparent.
    this.injected ??= headersOf(trace.setSpan(ROOT_CONTEXT, this.span)) as TraceHeaders;
    return this.injected;
  }

  run<T>(work: () => T): T {
    return context.with(trace.setSpan(context.active(), this.span), work);
  }

  setAttributes(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  rename(name: string): void {
    this.span.updateName(name);
  }

  fail(reason: string): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
  }

  end(): void {
    this.span.end();
  }
}

/** Ends every span once `work` settles, marked failed when it rejects; resolves or rejects as `work` does. */
export async function endWhenSettled<T>(spans: readonly (TraceSpan | null)[], work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    for (const span of spans) span?.fail(error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    for (const span of spans) span?.end();
  }
}
