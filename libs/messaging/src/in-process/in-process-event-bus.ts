import { EventBus, IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription } from '../event-bus.port';

const PARTITIONS = 8;
const MAX_BATCH = 500;
const REDELIVERY_DELAY_MS = 200;

interface Partition {
  /** Offset of `log[0]`: the messages before it were released. */
  start: number;
  /** The messages some group of the topic has not committed yet (or all of them, before any group subscribed). */
  log: IncomingMessage[];
}

interface Group {
  /** Next offset to hand out, per topic and partition. */
  committed: Map<string, number>;
  /** Every topic a member of the group ever subscribed to: the group holds their logs until it commits. */
  topics: Set<string>;
  members: Member[];
}

/** A publish waiting until the groups consuming its topic have committed it: the next offset per partition it wrote. */
interface Consumed {
  topic: string;
  until: Map<number, number>;
  resolve: () => void;
  reject: (error: Error) => void;
}

interface Member {
  options: SubscribeOptions;
  stopped: boolean;
  running: Promise<void> | null;
  wake: (() => void) | null;
}

/**
 * The event bus of the embedded default: both apps in one process. It keeps Kafka's
 * semantics that matter to Ordercast: a key always lands in the same partition (per-key
 * order), a consumer group shares the log, and an offset moves on only after the handler
 * resolved (at-least-once: a throwing handler gets the same batch again). The log lives in
 * memory, so a publish is acknowledged only once every group consuming its topic has committed
 * it: the outbox marks a change sent only after notification-service ingested it, and a crash
 * (both services are one process) loses nothing: what was not yet ingested is still unsent in the
 * outbox and published again at the next start. Before any group consumes a topic, a publish is
 * acknowledged at once and its messages wait in memory for the first subscriber: a crash before that
 * subscriber comes loses them, so the embedded default subscribes notification-service's ingest before
 * order-service's relay starts publishing (scripts/start.ts).
 *
 * Memory stays as large as what is unconsumed, not as everything ever published: a message is
 * released once every group that subscribed to its topic committed it. Until a first group
 * subscribes to a topic, its messages are kept (in the embedded default order-service may publish
 * before notification-service subscribes, and that subscriber must still get them). A group
 * whose members all stopped keeps its offsets and, like a Kafka group, holds the log until it
 * comes back; the embedded default's one group, notification-service's ingest, stops only at exit.
 */
export class InProcessEventBus implements EventBus {
  private readonly topics = new Map<string, Partition[]>();
  private readonly groups = new Map<string, Group>();
  private consumed: Consumed[] = [];
  private closed = false;

  async ensureTopics(topics: string[]): Promise<void> {
    for (const topic of topics) this.partitions(topic);
  }

  /** Resolves once every group with a running member on `topic` has committed the messages (at once when there is none). */
  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('event bus is closed');
    const partitions = this.partitions(topic);
    const until = new Map<number, number>();
    for (const message of messages) {
      const partition = partitionOf(message.key);
      const { start, log } = partitions[partition];
      log.push({ topic, partition, offset: String(start + log.length), key: message.key, value: message.value, headers: { ...(message.headers ?? {}) } });
      until.set(partition, start + log.length);
    }
    for (const group of this.groups.values()) for (const member of group.members) member.wake?.();
    if (until.size === 0 || this.isConsumed(topic, until)) return;
    await new Promise<void>((resolve, reject) => this.consumed.push({ topic, until, resolve, reject }));
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const group: Group = this.groups.get(options.groupId) ?? { committed: new Map(), topics: new Set(), members: [] };
    this.groups.set(options.groupId, group);
    for (const topic of options.topics) group.topics.add(topic);
    const member: Member = { options, stopped: false, running: null, wake: null };
    group.members.push(member);
    member.running = this.consume(group, member);
    return {
      stop: async () => {
        member.stopped = true;
        member.wake?.();
        await member.running;
        group.members = group.members.filter((m) => m !== member);
        // A group without running members holds its log until it comes back, but publishes no longer wait for it.
        this.settle();
      },
    };
  }

  async isHealthy(): Promise<boolean> {
    return !this.closed;
  }

  /** Messages of a topic the bus still holds: published and not yet committed by every group of the topic. */
  retained(topic: string): number {
    return (this.topics.get(topic) ?? []).reduce((sum, partition) => sum + partition.log.length, 0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    const members = [...this.groups.values()].flatMap((group) => group.members);
    for (const member of members) {
      member.stopped = true;
      member.wake?.();
    }
    await Promise.all(members.map((member) => member.running));
    // What no group committed is lost with the process's memory: its publishes fail, so the outbox keeps those changes unsent.
    const pending = this.consumed;
    this.consumed = [];
    for (const waiting of pending) waiting.reject(new Error('event bus closed before the messages were consumed'));
  }

  private partitions(topic: string): Partition[] {
    let partitions = this.topics.get(topic);
    if (!partitions) {
      partitions = Array.from({ length: PARTITIONS }, () => ({ start: 0, log: [] }));
      this.topics.set(topic, partitions);
    }
    return partitions;
  }

  /** One member of a group consumes every partition; extra members of the same group stand by. */
  private async consume(group: Group, member: Member): Promise<void> {
    while (!member.stopped && !this.closed) {
      const active = group.members.find((m) => !m.stopped);
      const batch = active === member ? this.nextBatch(group, member.options.topics) : [];
      if (batch.length === 0) {
        await new Promise<void>((resolve) => {
          member.wake = resolve;
          setTimeout(resolve, 1000);
        });
        member.wake = null;
        continue;
      }
      try {
        await member.options.handleBatch(batch);
        const last = batch[batch.length - 1];
        group.committed.set(`${last.topic}/${last.partition}`, Number(last.offset) + 1);
        const partition = this.partitions(last.topic)[last.partition];
        const lag = partition.start + partition.log.length - (Number(last.offset) + 1);
        this.release(last.topic, last.partition);
        this.settle();
        member.options.onProgress?.({ topic: last.topic, partition: last.partition, lag });
      } catch {
        await new Promise((resolve) => setTimeout(resolve, REDELIVERY_DELAY_MS));
      }
    }
  }

  /** The oldest unacknowledged messages of one partition, so a batch never mixes partitions. */
  private nextBatch(group: Group, topics: string[]): IncomingMessage[] {
    for (const topic of topics) {
      const partitions = this.partitions(topic);
      for (let index = 0; index < partitions.length; index++) {
        const { start, log } = partitions[index];
        // A group that joins after messages were released starts at the oldest one kept, as Kafka's earliest offset.
        const from = Math.max(group.committed.get(`${topic}/${index}`) ?? 0, start) - start;
        if (from < log.length) return log.slice(from, from + MAX_BATCH);
      }
    }
    return [];
  }

  /** Every group with a running member on `topic` has committed each partition of `until` up to its offset. */
  private isConsumed(topic: string, until: Map<number, number>): boolean {
    for (const group of this.groups.values()) {
      if (!group.topics.has(topic) || !group.members.some((member) => !member.stopped)) continue;
      for (const [partition, offset] of until) if ((group.committed.get(`${topic}/${partition}`) ?? 0) < offset) return false;
    }
    return true;
  }

  /** Acknowledges the publishes whose messages are consumed now. */
  private settle(): void {
    if (this.consumed.length === 0) return;
    const waiting: Consumed[] = [];
    for (const publish of this.consumed) {
      if (this.isConsumed(publish.topic, publish.until)) publish.resolve();
      else waiting.push(publish);
    }
    this.consumed = waiting;
  }

  /** Drops the messages of a partition that every group of its topic has committed. */
  private release(topic: string, index: number): void {
    let released = Infinity;
    for (const group of this.groups.values()) {
      if (group.topics.has(topic)) released = Math.min(released, group.committed.get(`${topic}/${index}`) ?? 0);
    }
    const partition = this.partitions(topic)[index];
    const count = Math.min(released, partition.start + partition.log.length) - partition.start;
    if (count <= 0) return;
    partition.log.splice(0, count);
    partition.start += count;
  }
}

function partitionOf(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return Math.abs(hash) % PARTITIONS;
}

/** Both apps of the embedded default share this one bus. */
let shared: InProcessEventBus | null = null;
export function sharedInProcessEventBus(): InProcessEventBus {
  if (!shared || shared.isClosed) shared = new InProcessEventBus();
  return shared;
}
