import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { startTracing, TracingHandle, TracingSetup } from './tracing';

const TRACING_HANDLE = Symbol('TRACING_HANDLE');

/**
 * Starts a service's tracing while the app is created (before its HTTP set-up, which adds the
 * request spans only when tracing is on) and stops it last, after the relay and the dispatcher
 * ended their spans, flushing what is left to the exporter.
 */
@Module({})
export class TracingModule implements OnApplicationShutdown {
  constructor(@Inject(TRACING_HANDLE) private readonly handle: TracingHandle | null) {}

  static forService(service: string, setup: TracingSetup | null): DynamicModule {
    return {
      module: TracingModule,
      providers: [{ provide: TRACING_HANDLE, useFactory: () => startTracing(service, setup) }],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.handle?.shutdown();
  }
}
