import { DynamicModule, Global, Logger, Module } from '@nestjs/common';
import { EVENT_BUS, EventBus } from './event-bus.port';
import { sharedInProcessEventBus } from './in-process';
import { KafkaEventBus } from './kafka';

export interface MessagingOptions {
  /** Kafka brokers; without them the in-process bus of the embedded default is used. */
  brokers?: string[];
  clientId: string;
}

/** Provides {@link EVENT_BUS}: kafkajs when brokers are configured, in-process otherwise. */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: EVENT_BUS,
          useFactory: (): EventBus => {
            if (!options.brokers?.length) return sharedInProcessEventBus();
            const logger = new Logger(`Kafka:${options.clientId}`);
            return new KafkaEventBus({ brokers: options.brokers, clientId: options.clientId, logger });
          },
        },
      ],
      exports: [EVENT_BUS],
    };
  }
}
