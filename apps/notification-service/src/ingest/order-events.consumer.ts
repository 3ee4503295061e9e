import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ORDER_EVENTS_TOPIC } from '@ordercast/contracts';
import { EVENT_BUS, EventBus, IncomingMessage, Subscription } from '@ordercast/messaging';
import { NotificationMetrics } from '../metrics/notification-metrics';
import { OrderEventsIngest } from './order-events.ingest';

export const CONSUMER_GROUP = 'notification-service';
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * Subscribes to the order change stream. The service must boot while the bus is down, so the
 * subscription is made in the background and retried with backoff until it succeeds.
 */
@Injectable()
export class OrderEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(OrderEventsConsumer.name);
  private subscription: Subscription | null = null;
  private connecting: Promise<void> = Promise.resolve();
  private stopped = false;
  private wakeUp: (() => void) | null = null;

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

  private async handleBatch(messages: IncomingMessage[]): Promise<void> {
    try {
      await this.ingest.handleBatch(messages);
    } catch (error) {
      // The bus delivers the same batch again; nothing of it was committed.
      this.logger.error({ msg: 'ingest failed; the batch will be redelivered', messages: messages.length, reason: (error as Error).message });
      throw error;
    }
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
