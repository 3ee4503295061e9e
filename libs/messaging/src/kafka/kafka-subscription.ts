import { Consumer, EachBatchPayload, KafkaMessage, OffsetsByTopicPartition } from 'kafkajs';
import { BatchHandler, IncomingMessage, SubscribeOptions, Subscription } from '../event-bus.port';
import { HandlerFailedError } from './handler-failed.error';
import { errorText, KafkaEventBusLogger } from './kafka-logger';

export const HEARTBEAT_INTERVAL_MS = 1_000;
const HANDLER_FAILURE_BACKOFF_MS = 500;
const RESTART_DELAY_MS = 5_000;
/**
 * Offsets are committed at most this often. A commit is a broker round trip that writes to
 * __consumer_offsets: at moderate rates, one per batch was a fifth of the broker's CPU. A batch
 * handled in between is committed with the next commit, by the timer, or at stop; a crash
 * before that only means its messages are handled again, which the handlers make harmless.
 */
export const COMMIT_INTERVAL_MS = 250;

/**
 * One consumer in a group: handles a batch, then commits its offsets, never the other way round. The
 * next fetch does not wait for a commit, except at stop.
 */
export class KafkaSubscription implements Subscription {
  private stopping: Promise<void> | null = null;
  /** Handled but not yet committed, as uncommittedOffsets() gave them after the last batch. */
  private pending: OffsetsByTopicPartition | null = null;
  private lastCommit = 0;
  /** Commits run one after the other, so a later one never lands before an earlier one. */
  private commits: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | undefined;
  private closing = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly groupId: string;
  private readonly topics: string[];
  private readonly handleBatch: BatchHandler;
  private readonly onProgress: SubscribeOptions['onProgress'];

  constructor(
    private readonly consumer: Consumer,
    options: SubscribeOptions,
    private readonly partitionsConsumedConcurrently: number,
    private readonly logger: KafkaEventBusLogger,
    private readonly onStopped: () => void,
  ) {
    this.groupId = options.groupId;
    this.topics = options.topics;
    this.handleBatch = options.handleBatch;
    this.onProgress = options.onProgress;
  }

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => this.onCrash(payload.error, payload.restart));
    // After a rebalance the partitions may belong to another member: its progress, not ours, counts.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => (this.pending = null));
    this.flushTimer = setInterval(() => void this.commitPending(), COMMIT_INTERVAL_MS).unref();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.run();
  }

  stop(): Promise<void> {
    if (!this.stopping) {
      clearTimeout(this.restartTimer);
      clearInterval(this.flushTimer);
      this.closing = true;
      // What was handled is committed first; disconnect() then waits for the batch in hand, which
      // eachBatch commits at once while closing.
      this.stopping = this.commitPending()
        .then(() => this.consumer.disconnect())
        .finally(this.onStopped);
    }
    return this.stopping;
  }

  /**
   * Commits what batches handled since the last commit, if anything; a failure is logged, the
   * next commit covers it. Inside eachBatch through kafkajs's own function for the batch (which
   * still works while the consumer is stopping), elsewhere through the consumer.
   */
  private commitPending(commit = (offsets: OffsetsByTopicPartition) => this.consumer.commitOffsets(flatten(offsets))): Promise<void> {
    this.commits = this.commits.then(async () => {
      const offsets = this.pending;
      if (!offsets) return;
      this.pending = null;
      this.lastCommit = Date.now();
      try {
        await commit(offsets);
      } catch (error) {
        this.logger.warn(`Committing offsets of group ${this.groupId} failed; the next commit covers them: ${errorText(error)}`);
      }
    });
    return this.commits;
  }

  private run(): Promise<void> {
    return this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch({
    batch,
    resolveOffset,
    commitOffsetsIfNecessary,
    uncommittedOffsets,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    // Neither handled nor resolved: the same messages are fetched again, by this member or the partition's next owner.
    if (!isRunning() || isStale()) return;
    const messages = batch.messages.map((message) => toIncomingMessage(batch.topic, batch.partition, message));

    // A slow handler must not cost the group membership (session timeout).
    const keepAlive = setInterval(() => heartbeat().catch(() => undefined), HEARTBEAT_INTERVAL_MS);
    try {
      await this.handleBatch(messages);
    } catch (error) {
      this.logger.warn(
        `Handler of group ${this.groupId} failed on ${batch.topic}[${batch.partition}] offsets ` +
          `${batch.firstOffset()}..${batch.lastOffset()}; the batch will be delivered again: ${errorText(error)}`,
      );
      await sleep(HANDLER_FAILURE_BACKOFF_MS);
      // Nothing was resolved, so when kafkajs retries its fetch loop on this error it fetches from the first
      // message of this batch again (offsets come from the last resolved or committed one).
      throw new HandlerFailedError(`Handler failed: ${errorText(error)}`, { cause: error });
    } finally {
      clearInterval(keepAlive);
    }

    resolveOffset(batch.lastOffset());
    this.pending = uncommittedOffsets();
    if (this.closing || !isRunning()) {
      await this.commitPending((offsets) => commitOffsetsIfNecessary(offsets));
    } else if (Date.now() - this.lastCommit >= COMMIT_INTERVAL_MS) {
      // Not awaited: kafkajs fetches again only once every batch of the last fetch returned, and a
      // commit is a round trip of its own (on the coordinator connection, not the fetch one). It
      // still runs after this batch was handled; commits stay in order (see commitPending).
      void this.commitPending((offsets) => commitOffsetsIfNecessary(offsets));
    }
    this.onProgress?.({ topic: batch.topic, partition: batch.partition, lag: Number(batch.offsetLag()) });
    await heartbeat();
  }

  /** kafkajs restarts the consumer itself after retriable crashes; this covers the ones it gives up on. */
  private onCrash(error: Error, restartedByKafkajs: boolean): void {
    if (restartedByKafkajs || this.stopping) return;
    this.logger.error(`Kafka consumer of group ${this.groupId} stopped on ${errorText(error)}; restarting in ${RESTART_DELAY_MS} ms`);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    this.restartTimer = setTimeout(() => void this.restart(), RESTART_DELAY_MS);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    try {
      await this.consumer.connect();
      await this.run();
      this.logger.log(`Kafka consumer of group ${this.groupId} restarted`);
    } catch (error) {
      this.logger.error(`Restarting the Kafka consumer of group ${this.groupId} failed: ${errorText(error)}`);
      this.scheduleRestart();
    }
  }
}

export function toIncomingMessage(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) headers[name] = last.toString();
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '',
    value: message.value?.toString('utf8') ?? '',
    headers,
  };
}

function flatten(offsets: OffsetsByTopicPartition): Array<{ topic: string; partition: number; offset: string }> {
  return offsets.topics.flatMap(({ topic, partitions }) => partitions.map(({ partition, offset }) => ({ topic, partition, offset })));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
