import { DynamicModule, Module } from '@nestjs/common';
import { POLLING_OPTIONS, PollingOptions } from './poll-options';
import { PollPurger } from './poll-purger';
import { PollQueue } from './poll-queue';
import { PollSignal } from './poll-signal';
import { PollingController } from './polling.controller';

/**
 * The poll queue (receive / ack / list by period) and its purge. Needs the notifications TypeORM
 * connection. Register it once: it is global, because ingest and the receive endpoint must share
 * one PollSignal for an enqueue to wake a waiting receiver.
 */
@Module({
  controllers: [PollingController],
  providers: [PollSignal, PollQueue, PollPurger],
  exports: [PollQueue],
})
export class PollingModule {
  static register(options: PollingOptions): DynamicModule {
    return { module: PollingModule, global: true, providers: [{ provide: POLLING_OPTIONS, useValue: options }] };
  }
}
