import { randomBytes } from 'node:crypto';
import { IHeaders, Kafka, logLevel } from 'kafkajs';

export interface ReadMessage {
  key: string | null;
  /** The value parsed as JSON (the raw string when it is not JSON). */
  value: unknown;
  /** The value as written, for checks over its exact bytes (signatures). */
  raw: string;
  headers: Record<string, string>;
  partition: number;
  offset: string;
  /** Everything the record carries as it came from the broker: key, value, header names and values. */
  bytes: Buffer;
}

/** Brokers of the Kafka the integration globalSetup started (or KAFKA_BROKERS given from outside). */
export function kafkaBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    throw new Error('KAFKA_BROKERS is not set: run the suite through the jest "integration" project (its globalSetup starts Kafka)');
  }
  return brokers.split(',').map((broker) => broker.trim()).filter(Boolean);
}

/** A topic name no other test uses. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}.${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Creates a topic; `config` sets topic configs such as `max.message.bytes`. */
export async function createTopic(brokers: string[], topic: string, partitions = 3, config: Record<string, string> = {}): Promise<void> {
  const admin = client(brokers).admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(config).map(([name, value]) => ({ name, value }));
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

function recordBytes(key: Buffer | null, value: Buffer | null, headers: IHeaders | undefined): Buffer {
  const parts: Buffer[] = [key ?? Buffer.alloc(0), value ?? Buffer.alloc(0)];
  for (const [name, header] of Object.entries(headers ?? {})) {
    parts.push(Buffer.from(name));
    for (const item of [header].flat()) if (item !== undefined) parts.push(Buffer.from(item));
  }
  return Buffer.concat(parts);
}

/**
 * Reads a topic from the beginning with a fresh consumer group until `expected` messages have arrived;
 * throws with what it did get when they do not arrive within `timeoutMs`.
 */
export async function readTopic(
  brokers: string[],
  topic: string,
  { expected, timeoutMs = 15_000 }: { expected: number; timeoutMs?: number },
): Promise<ReadMessage[]> {
  const consumer = client(brokers).consumer({ groupId: `test-reader-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 50 });
  const received: ReadMessage[] = [];
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Read ${received.length} of ${expected} messages from ${topic} in ${timeoutMs} ms: ${JSON.stringify(received)}`)),
      timeoutMs,
    );
  });

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({
          key: message.key?.toString('utf8') ?? null,
          value: parse(message.value?.toString('utf8') ?? ''),
          raw: message.value?.toString('utf8') ?? '',
          headers: headerStrings(message.headers),
          partition,
          offset: message.offset,
          bytes: recordBytes(message.key, message.value, message.headers),
        });
        if (received.length >= expected) done();
      },
    });
    await Promise.race([enough, timeout]);
    return [...received];
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

function client(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'ordercast-test', brokers, logLevel: logLevel.NOTHING });
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function headerStrings(headers: IHeaders = {}): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[name] = last.toString();
  }
  return result;
}
