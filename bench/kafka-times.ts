/**
 * When each change event reached Kafka: reads the order-events topic from a point in time with a throw-away
 * consumer group and returns change id -> the record's timestamp (set by the producer when the outbox relay
 * published it). Lets the bench split "accepted to ingested" into the relay-and-publish part and the
 * consume-and-ingest part.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { ORDER_EVENTS_TOPIC } from '@ordercast/contracts';

export async function changePublishTimes(brokers: string[], since: number, timeoutMs = 20_000): Promise<Map<string, number>> {
  const kafka = new Kafka({ clientId: 'ordercast-bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const times = new Map<string, number>();
  await admin.connect();
  let starts: Array<{ partition: number; offset: string }>;
  let ends: Map<number, bigint>;
  try {
    starts = await admin.fetchTopicOffsetsByTimestamp(ORDER_EVENTS_TOPIC, Math.floor(since));
    ends = new Map((await admin.fetchTopicOffsets(ORDER_EVENTS_TOPIC)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set(starts.filter((p) => BigInt(p.offset) < (ends.get(p.partition) ?? 0n)).map((p) => p.partition));
  if (remaining.size === 0) return times;

  const consumer = kafka.consumer({ groupId: `ordercast-bench-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [ORDER_EVENTS_TOPIC], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const id = (JSON.parse(message.value?.toString('utf8') ?? '{}') as { id?: unknown }).id;
          if (typeof id === 'string') times.set(id, Number(message.timestamp));
        }
        if (BigInt(batch.lastOffset()) + 1n >= (ends.get(batch.partition) ?? 0n)) remaining.delete(batch.partition);
        if (remaining.size === 0) done();
      },
    });
    for (const { partition, offset } of starts) consumer.seek({ topic: ORDER_EVENTS_TOPIC, partition, offset });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return times;
}
