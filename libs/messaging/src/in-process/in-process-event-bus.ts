import { EventBus, IncomingMessage, OutgoingMessage, SubscribeOptions, Subscription } from '../event-bus.port';

const PARTITIONS = 8;
const MAX_BATCH = 500;
const REDELIVERY_DELAY_MS = 200;

interface Partition {
  log: IncomingMessage[];
}

interface Group {
  /** Next offset to hand out, per topic and partition. */
  committed: Map<string, number>;
  members: Member[];
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
 * memory; durability comes from the outbox, which republishes anything not yet acknowledged.
 */
export class InProcessEventBus implements EventBus {
  private readonly topics = new Map<string, Partition[]>();
  private readonly groups = new Map<string, Group>();
  private closed = false;

  async ensureTopics(topics: string[]): Promise<void> {
    for (const topic of topics) this.partitions(topic);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('event bus is closed');
    const partitions = this.partitions(topic);
    for (const message of messages) {
      const partition = partitionOf(message.key);
      const log = partitions[partition].log;
      log.push({ topic, partition, offset: String(log.length), key: message.key, value: message.value, headers: { ...(message.headers ?? {}) } });
    }
    for (const group of this.groups.values()) for (const member of group.members) member.wake?.();
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const group: Group = this.groups.get(options.groupId) ?? { committed: new Map(), members: [] };
    this.groups.set(options.groupId, group);
    const member: Member = { options, stopped: false, running: null, wake: null };
    group.members.push(member);
    member.running = this.consume(group, member);
    return {
      stop: async () => {
        member.stopped = true;
        member.wake?.();
        await member.running;
        group.members = group.members.filter((m) => m !== member);
      },
    };
  }

  async isHealthy(): Promise<boolean> {
    return !this.closed;
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
  }

  private partitions(topic: string): Partition[] {
    let partitions = this.topics.get(topic);
    if (!partitions) {
      partitions = Array.from({ length: PARTITIONS }, () => ({ log: [] }));
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
        const lag = this.partitions(last.topic)[last.partition].log.length - (Number(last.offset) + 1);
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
        const from = group.committed.get(`${topic}/${index}`) ?? 0;
        const log = partitions[index].log;
        if (from < log.length) return log.slice(from, from + MAX_BATCH);
      }
    }
    return [];
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
