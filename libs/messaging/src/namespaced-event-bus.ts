import { EventBus, OutgoingMessage, SubscribeOptions, Subscription } from './event-bus.port';

/**
 * Puts every topic and consumer group of a bus under a prefix (`KAFKA_TOPIC_PREFIX`), so several
 * environments, or test suites, can share one Kafka cluster without reading each other's events.
 * Handlers see the topic names the services know.
 */
export class NamespacedEventBus implements EventBus {
  constructor(private readonly bus: EventBus, private readonly prefix: string) {}

  ensureTopics(topics: string[]): Promise<void> {
    return this.bus.ensureTopics(topics.map((topic) => this.prefix + topic));
  }

  publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    return this.bus.publish(this.prefix + topic, messages);
  }

  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.bus.subscribe({
      groupId: this.prefix + options.groupId,
      topics: options.topics.map((topic) => this.prefix + topic),
      handleBatch: (messages) => options.handleBatch(messages.map((message) => ({ ...message, topic: message.topic.slice(this.prefix.length) }))),
      onProgress: options.onProgress && ((progress) => options.onProgress?.({ ...progress, topic: progress.topic.slice(this.prefix.length) })),
    });
  }

  isHealthy(): Promise<boolean> {
    return this.bus.isHealthy();
  }

  close(): Promise<void> {
    return this.bus.close();
  }
}
