/** Injection token for the {@link EventBus} of an app. */
export const EVENT_BUS = Symbol('EVENT_BUS');

export interface OutgoingMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * Receives a batch of messages in order (per key). Resolving acknowledges the whole batch
 * (offsets are committed after it); throwing makes the bus deliver the same messages again.
 */
export type BatchHandler = (messages: IncomingMessage[]) => Promise<void>;

/** Where a consumer stands in a partition after a handled batch. */
export interface ConsumerProgress {
  topic: string;
  partition: number;
  /** Messages in the partition after the handled batch: the consumer lag in messages. */
  lag: number;
}

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handleBatch: BatchHandler;
  /** Called after each handled batch (for consumer lag metrics). */
  onProgress?: (progress: ConsumerProgress) => void;
}

export interface Subscription {
  /** Stops consuming after the batch in hand is handled and acknowledged. */
  stop(): Promise<void>;
}

/**
 * The small event bus both services depend on. Semantics shared by every adapter:
 * per-key order, at-least-once delivery, offsets committed only after the handler resolves.
 */
export interface EventBus {
  /** Creates the topics if missing; call before publishing or subscribing. */
  ensureTopics(topics: string[]): Promise<void>;
  /**
   * Resolves once every message is durably accepted by the bus; rejects if the bus is down. Rejects
   * with a `MessageRejectedError` when the bus refuses the messages for good (too large, invalid).
   */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Whether the bus answers now (for health checks). */
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}
