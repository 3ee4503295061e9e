import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { EVENT_BUS, EventBus } from './event-bus.port';
import { InProcessEventBus, sharedInProcessEventBus } from './in-process';
import { KafkaEventBus } from './kafka';
import { NamespacedEventBus } from './namespaced-event-bus';

export interface MessagingOptions {
  /** Kafka brokers; without them the in-process bus of the embedded default is used. */
  brokers?: string[];
  clientId: string;
  /** Prefix of every Kafka topic and consumer group (`KAFKA_TOPIC_PREFIX`); empty by default. */
  topicPrefix?: string;
  /** How the Kafka topics the app creates are laid out (`KAFKA_PARTITIONS`, `KAFKA_REPLICATION_FACTOR`, `KAFKA_MIN_INSYNC_REPLICAS`). */
  topics?: { partitions: number; replicationFactor: number; minInsyncReplicas: number };
  /** Kafka consumer session timeout (KafkaEventBusOptions.sessionTimeoutMs). */
  sessionTimeoutMs?: number;
}

/**
 * Closes the app's Kafka clients when the app shuts down. The in-process bus is left open:
 * in the embedded default both apps share it, and the launcher closes the process.
 */
@Injectable()
class EventBusCloser implements OnApplicationShutdown {
  constructor(@Inject(EVENT_BUS) private readonly bus: EventBus) {}

  async onApplicationShutdown(): Promise<void> {
    if (!(this.bus instanceof InProcessEventBus)) await this.bus.close();
  }
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
            const kafka = new KafkaEventBus({
              brokers: options.brokers,
              clientId: options.clientId,
              logger,
              numPartitions: options.topics?.partitions,
              replicationFactor: options.topics?.replicationFactor,
              minInsyncReplicas: options.topics?.minInsyncReplicas,
              sessionTimeoutMs: options.sessionTimeoutMs,
            });
            return options.topicPrefix ? new NamespacedEventBus(kafka, options.topicPrefix) : kafka;
          },
        },
        EventBusCloser,
      ],
      exports: [EVENT_BUS],
    };
  }
}
