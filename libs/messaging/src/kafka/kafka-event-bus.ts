import { Admin, Kafka, logLevel, Partitioners, Producer } from 'kafkajs';
import { EventBus, OutgoingMessage, SubscribeOptions, Subscription } from '../event-bus.port';
import { MessageRejectedError } from '../message-rejected.error';
import { refusalOf } from './kafka-refusal';
import { consoleLogger, errorText, KafkaEventBusLogger, kafkaLogCreator } from './kafka-logger';
import { HEARTBEAT_INTERVAL_MS, KafkaSubscription } from './kafka-subscription';

export interface KafkaEventBusOptions {
  brokers: string[];
  clientId: string;
  /** Receives kafkajs's warnings and errors (as warnings) and the bus's own; defaults to the console. */
  logger?: KafkaEventBusLogger;
  /** Partitions of the topics {@link KafkaEventBus.ensureTopics} creates; 3 by default. */
  numPartitions?: number;
  /**
   * Replication factor of the topics {@link KafkaEventBus.ensureTopics} creates; 1 by default (one broker).
   * kafkajs speaks CreateTopics v3 at most, which cannot ask for the broker's default: set 3 on a real cluster.
   */
  replicationFactor?: number;
  /**
   * `min.insync.replicas` of the topics {@link KafkaEventBus.ensureTopics} creates; 1 by default. With the
   * producer's acks=all, a publish succeeds only once this many replicas have the messages: 2 of 3 on a
   * cluster survives one broker loss without losing an acknowledged change.
   */
  minInsyncReplicas?: number;
  /**
   * Batches of different partitions a subscription handles at once; the number of partitions by default. Safe
   * because a batch never mixes partitions and each partition's batches still run one after the other.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * How long the group coordinator waits for a silent consumer before giving its partitions to the others
   * (10 s by default; the broker's group.min.session.timeout.ms, 6 s by default, is the floor). A consumer
   * that stops cleanly leaves the group at once: disconnect() sends LeaveGroup.
   */
  sessionTimeoutMs?: number;
}

const CONNECTION_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * Short on purpose: publish must fail within seconds while the broker is down, because the caller (the outbox
 * relay) retries with its own backoff and must not sit behind kafkajs retrying for minutes.
 */
const CLIENT_RETRY = { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 };
const HEALTH_TIMEOUT_MS = 1_500;
const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
/**
 * How long the broker holds a fetch that finds nothing new. It answers as soon as a message arrives
 * (minBytes 1), so this adds no latency; it only sets how often an idle consumer asks. At 50 ms the
 * idle polls alone cost the single-node broker about 50 ms of CPU per second (measured: 85 against
 * 35 cpu-ms/s with an idle consumer at 50 and 500 ms). Heartbeats and commits go on a connection of
 * their own, so they never wait behind a held fetch; a stopping consumer waits for it (up to this).
 */
const MAX_WAIT_TIME_MS = 500;

/** Event bus on Apache Kafka through kafkajs; this folder is the only code that knows kafkajs. */
export class KafkaEventBus implements EventBus {
  private readonly kafka: Kafka;
  private readonly logger: KafkaEventBusLogger;
  private readonly numPartitions: number;
  private readonly replicationFactor: number;
  private readonly minInsyncReplicas: number;
  private readonly partitionsConsumedConcurrently: number;
  private readonly sessionTimeoutMs: number;
  private producer: Promise<Producer> | null = null;
  private admin: Promise<Admin> | null = null;
  private readonly knownTopics = new Set<string>();
  private readonly subscriptions = new Set<KafkaSubscription>();
  private closed = false;

  constructor(options: KafkaEventBusOptions) {
    this.logger = options.logger ?? consoleLogger;
    this.numPartitions = options.numPartitions ?? 3;
    this.replicationFactor = options.replicationFactor ?? 1;
    this.minInsyncReplicas = options.minInsyncReplicas ?? 1;
    this.partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? this.numPartitions;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      retry: CLIENT_RETRY,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(this.logger),
    });
  }

  async ensureTopics(topics: string[]): Promise<void> {
    this.assertOpen();
    const missing = [...new Set(topics)].filter((topic) => !this.knownTopics.has(topic));
    if (missing.length === 0) return;
    const admin = await this.connectedAdmin();
    // One topic per call: kafkajs reports "already exists" only when every topic of a call exists, and then
    // skips waiting for the leaders of the ones it did create.
    for (const topic of missing) {
      await admin.createTopics({
        topics: [{
          topic,
          numPartitions: this.numPartitions,
          replicationFactor: this.replicationFactor,
          configEntries: [{ name: 'min.insync.replicas', value: String(this.minInsyncReplicas) }],
        }],
        waitForLeaders: true,
      });
      this.knownTopics.add(topic);
    }
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    const pending = this.connectedProducer();
    try {
      const producer = await pending;
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map(({ key, value, headers }) => ({ key, value, headers })),
      });
    } catch (error) {
      // Also after a refusal: the broker may have appended the other partitions of the same request,
      // whose sequence numbers kafkajs then never recorded, and a new producer id starts them afresh.
      this.discardProducer(pending);
      const refusal = refusalOf(error);
      if (refusal) {
        throw new MessageRejectedError(refusal, `Kafka refused ${messages.length} message(s) to ${topic} for good: ${errorText(error)}`, { cause: error });
      }
      throw new Error(`Publishing ${messages.length} message(s) to ${topic} failed: ${errorText(error)}`, { cause: error });
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: MAX_WAIT_TIME_MS,
      // Never give up: once these retries are spent kafkajs crashes the consumer and restartOnFailure rejoins.
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10, restartOnFailure: async () => true },
    });
    const subscription = new KafkaSubscription(consumer, options, this.partitionsConsumedConcurrently, this.logger, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      await subscription.stop().catch(() => undefined);
      throw new Error(`Subscribing group ${options.groupId} to ${options.topics.join(', ')} failed: ${errorText(error)}`, {
        cause: error,
      });
    }
    return subscription;
  }

  async isHealthy(): Promise<boolean> {
    if (this.closed) return false;
    const pending = this.connectedAdmin();
    try {
      await withTimeout(
        pending.then((admin) => admin.describeCluster()),
        HEALTH_TIMEOUT_MS,
      );
      return true;
    } catch {
      this.discardAdmin(pending);
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.stop()));
    const { producer, admin } = this;
    this.producer = null;
    this.admin = null;
    await Promise.allSettled([producer?.then((p) => p.disconnect()), admin?.then((a) => a.disconnect())]);
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      // Idempotent, with acks=all on every send and one request in flight (what KIP-98 asks of an idempotent
      // producer): a send the broker took but whose answer was lost is not appended twice when retried, and a
      // partition's messages are never reordered; with min.insync.replicas 2 of 3 an acknowledged change
      // survives the loss of a broker.
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // Same key, same partition: one order's changes stay in order.
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: CLIENT_RETRY,
      });
      this.producer = producer.connect().then(() => producer);
    }
    return this.producer;
  }

  /**
   * After a failure the producer is replaced rather than reused: a kafkajs idempotent producer whose send
   * failed mid-flight can keep failing on stale sequence numbers or a dead connection, while a new one gets a
   * fresh producer id once the broker is back.
   */
  private discardProducer(pending: Promise<Producer>): void {
    if (this.producer !== pending) return;
    this.producer = null;
    pending.then((producer) => producer.disconnect()).catch(() => undefined);
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      this.admin = connecting;
      connecting.catch(() => this.discardAdmin(connecting));
    }
    return this.admin;
  }

  private discardAdmin(pending: Promise<Admin>): void {
    if (this.admin !== pending) return;
    this.admin = null;
    pending.then((admin) => admin.disconnect()).catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The Kafka event bus is closed');
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
