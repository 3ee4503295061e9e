import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ORDER_EVENTS_TOPIC } from '@ordercast/contracts';
import { EVENT_BUS, EventBus, IncomingMessage, Subscription } from '@ordercast/messaging';
import { TurnBatcher } from '@ordercast/platform';
import { NotificationMetrics } from '../metrics/notification-metrics';
import { OrderEventsIngest } from './order-events.ingest';

export const CONSUMER_GROUP = 'notification-service';
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/**
 * Batches ingested together at most: a fetch brings at most a megabyte per partition (kafkajs's
 * maxBytesPerPartition), so this only splits fetches of many partitions.
 */
const TOGETHER_LIMITS = { maxItems: 64, maxBytes: 4 * 1024 * 1024, sizeOf: (messages: IncomingMessage[]) => messages.reduce((bytes, message) => bytes + message.value.length, 0) };

/**
 * Subscribes to the order change stream. The service must boot while the bus is down, so the
 * subscription is made in the background and retried with backoff until it succeeds.
 *
 * The bus hands over each partition's batch of a fetch on its own; those handed over in one turn of
 * the event loop are ingested together ({@link TurnBatcher}): two statements for the fetch instead
 * of two per partition. They succeed or fail together, and a failed one is delivered again whole,
 * which ingest makes harmless (see {@link OrderEventsIngest}).
 */
@Injectable()
export class OrderEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OrderEventsConsumer.name);
  private subscription: Subscription | null = null;
  private connecting: Promise<void> = Promise.resolve();
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private readonly together = new TurnBatcher<IncomingMessage[], void>((_, batches) => this.ingestTogether(batches), TOGETHER_LIMITS);

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly ingest: OrderEventsIngest,
    private readonly metrics: NotificationMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.connecting = this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.connecting;
    await this.subscription?.stop();
    this.subscription = null;
  }

  private handleBatch(messages: IncomingMessage[]): Promise<void> {
    return this.together.submit('', messages);
  }

  private async ingestTogether(batches: IncomingMessage[][]): Promise<void[]> {
    const messages = batches.flat();
    try {
      await this.ingest.handleBatch(messages);
    } catch (error) {
      // The bus delivers the same batches again; nothing of them was committed.
      this.logger.error({ msg: 'ingest failed; the batch will be redelivered', batches: batches.length, messages: messages.length, reason: (error as Error).message });
      throw error;
    }
    return batches.map(() => undefined);
  }

  private async connect(): Promise<void> {
    let delay = FIRST_RETRY_MS;
    while (!this.stopped) {
      try {
        await this.bus.ensureTopics([ORDER_EVENTS_TOPIC]);
        const subscription = await this.bus.subscribe({
          groupId: CONSUMER_GROUP,
          topics: [ORDER_EVENTS_TOPIC],
          handleBatch: (messages) => this.handleBatch(messages),
          onProgress: ({ partition, lag }) => this.metrics.recordProgress(partition, lag),
        });
        if (this.stopped) return await subscription.stop();
        this.subscription = subscription;
        this.logger.log({ msg: 'consuming order change events', topic: ORDER_EVENTS_TOPIC, groupId: CONSUMER_GROUP });
        return;
      } catch (error) {
        this.logger.warn({ msg: 'event bus unavailable; retrying subscription', retryInMs: delay, reason: (error as Error).message });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = null;
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }
}
