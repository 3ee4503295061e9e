import { randomBytes } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { IncomingMessage, Subscription } from '@ordercast/messaging/event-bus.port';
import { KafkaEventBus } from '@ordercast/messaging/kafka';
import { MessageRejectedError } from '@ordercast/messaging/message-rejected.error';
import { createTopic, kafkaBrokers, readTopic, uniqueTopic } from '../support/kafka';
import { KafkaBroker } from './kafka-broker';

/** Keeps what the bus logs, so a failing test can show it and the console stays quiet. */
class RecordingLogger {
  readonly lines: string[] = [];
  log(message: string) {
    this.lines.push(`LOG ${message}`);
  }
  warn(message: string) {
    this.lines.push(`WARN ${message}`);
  }
  error(message: string) {
    this.lines.push(`ERROR ${message}`);
  }
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// The integration project's testTimeout is not applied (Jest 29 reads it only at the top level of the config).
jest.setTimeout(90_000);

const groupId = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;
const payload = (message: IncomingMessage) => JSON.parse(message.value) as { key: string; seq: number };

describe('KafkaEventBus against a real broker', () => {
  const brokers = kafkaBrokers();
  const logger = new RecordingLogger();
  let bus: KafkaEventBus;
  const subscriptions: Subscription[] = [];

  beforeAll(() => {
    bus = new KafkaEventBus({ brokers, clientId: 'bus-e2e', logger });
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
  });

  afterAll(async () => {
    await bus.close();
  });

  it('delivers keyed messages in per-key order, with their headers, and keeps a key on one partition', async () => {
    const topic = uniqueTopic('bus.order');
    await bus.ensureTopics([topic]);
    const keys = ['order-a', 'order-b', 'order-c', 'order-d', 'order-e'];
    const perKey = 20;
    for (let seq = 0; seq < perKey; seq += 5) {
      const messages = keys.flatMap((key) =>
        [0, 1, 2, 3, 4].map((i) => ({ key, value: JSON.stringify({ key, seq: seq + i }), headers: { 'x-seq': String(seq + i) } })),
      );
      await bus.publish(topic, messages);
    }

    const received: IncomingMessage[] = [];
    subscriptions.push(
      await bus.subscribe({ groupId: groupId('order'), topics: [topic], handleBatch: async (batch) => void received.push(...batch) }),
    );
    await waitFor(() => received.length >= keys.length * perKey, 30_000, () => `${received.length} messages`);

    expect(received).toHaveLength(keys.length * perKey);
    for (const key of keys) {
      const mine = received.filter((message) => message.key === key);
      expect(mine.map((message) => payload(message).seq)).toEqual([...Array(perKey).keys()]);
      expect(new Set(mine.map((message) => message.partition)).size).toBe(1);
      expect(mine.every((message) => message.headers['x-seq'] === String(payload(message).seq))).toBe(true);
      expect(mine.every((message) => message.topic === topic)).toBe(true);
    }
  });

  it('delivers the same batch again when the handler throws, skips nothing and commits only after success', async () => {
    const topic = uniqueTopic('bus.redeliver');
    await bus.ensureTopics([topic]);
    const messages = [...Array(10).keys()].map((seq) => ({ key: 'order-1', value: JSON.stringify({ key: 'order-1', seq }) }));
    await bus.publish(topic, messages);

    const deliveries: IncomingMessage[][] = [];
    const group = groupId('redeliver');
    subscriptions.push(
      await bus.subscribe({
        groupId: group,
        topics: [topic],
        handleBatch: async (batch) => {
          deliveries.push(batch);
          if (deliveries.length === 1) throw new TypeError('handler bug on first delivery');
        },
      }),
    );
    const handled = () => deliveries.slice(1).flat();
    await waitFor(() => handled().length >= 10, 30_000, () => `${handled().length} handled messages`);

    const [failed, retried] = deliveries;
    expect(retried[0].offset).toBe(failed[0].offset);
    expect(handled().map((message) => payload(message).seq)).toEqual([...Array(10).keys()]);
    expect(logger.lines.some((line) => line.includes('handler bug on first delivery'))).toBe(true);

    await subscriptions.pop()!.stop();
    const admin = new Kafka({ clientId: 'bus-e2e-check', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const [{ partitions }] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      const partition = failed[0].partition;
      expect(partitions.find((p) => p.partition === partition)?.offset).toBe('10');
    } finally {
      await admin.disconnect();
    }
  });

  it('shares the partitions between two subscriptions of one group without duplicates', async () => {
    const topic = uniqueTopic('bus.group');
    await bus.ensureTopics([topic]);
    const group = groupId('shared');
    const byMember: IncomingMessage[][] = [[], []];
    for (const member of byMember) {
      subscriptions.push(
        await bus.subscribe({ groupId: group, topics: [topic], handleBatch: async (batch) => void member.push(...batch) }),
      );
    }

    const admin = new Kafka({ clientId: 'bus-e2e-check', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      let state = '';
      await waitFor(
        async () => {
          const { groups } = await admin.describeGroups([group]);
          state = `${groups[0].state} with ${groups[0].members.length} members`;
          return groups[0].state === 'Stable' && groups[0].members.length === 2;
        },
        30_000,
        () => `a stable group of two (${state})`,
      );
    } finally {
      await admin.disconnect();
    }

    const keys = [...Array(30).keys()].map((i) => `order-${i}`);
    await bus.publish(topic, keys.flatMap((key) => [0, 1].map((seq) => ({ key, value: JSON.stringify({ key, seq }) }))));
    const all = () => byMember.flat();
    await waitFor(() => all().length >= 60, 30_000, () => `${all().length} messages`);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const positions = all().map((message) => `${message.partition}:${message.offset}`);
    expect(new Set(positions).size).toBe(60);
    expect(positions).toHaveLength(60);
    const partitionsOf = (messages: IncomingMessage[]) => new Set(messages.map((message) => message.partition));
    const [first, second] = byMember.map(partitionsOf);
    expect(first.size).toBeGreaterThan(0);
    expect(second.size).toBeGreaterThan(0);
    expect([...first].filter((partition) => second.has(partition))).toEqual([]);
  });

  it('creates topics with the configured partitions and min.insync.replicas', async () => {
    const laidOut = new KafkaEventBus({ brokers, clientId: 'bus-e2e-layout', logger, numPartitions: 5, replicationFactor: 1, minInsyncReplicas: 1 });
    const topic = uniqueTopic('bus.layout');
    const admin = new Kafka({ clientId: 'bus-e2e-check', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await laidOut.ensureTopics([topic]);
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0].partitions).toHaveLength(5);
      expect(topics[0].partitions.every((partition) => partition.replicas.length === 1)).toBe(true);
      const { resources } = await admin.describeConfigs({
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
        includeSynonyms: false,
      });
      // Set on the topic itself, not inherited from the broker: a cluster's topics get what the config says.
      expect(resources[0].configEntries).toEqual([expect.objectContaining({ configName: 'min.insync.replicas', configValue: '1', isDefault: false })]);
    } finally {
      await admin.disconnect();
      await laidOut.close();
    }
  });

  it('refuses a message too large for its topic for good, naming the reason, and keeps publishing others', async () => {
    const topic = uniqueTopic('bus.too-large');
    await createTopic(brokers, topic, 1, { 'max.message.bytes': '4096' });
    const refused = bus.publish(topic, [{ key: 'order-1', value: 'x'.repeat(10_000) }]);
    await expect(refused).rejects.toBeInstanceOf(MessageRejectedError);
    await expect(refused).rejects.toMatchObject({ reason: 'MESSAGE_TOO_LARGE' });
    await bus.publish(topic, [{ key: 'order-1', value: 'fits' }]);
    const [message] = await readTopic(brokers, topic, { expected: 1 });
    expect(message.value).toBe('fits');
  });

  it('reports health', async () => {
    await expect(bus.isHealthy()).resolves.toBe(true);
    const unreachable = new KafkaEventBus({ brokers: ['127.0.0.1:1'], clientId: 'bus-e2e-down', logger: new RecordingLogger() });
    const started = Date.now();
    await expect(unreachable.isHealthy()).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(3_000);
    await unreachable.close();
  });

  describe('when its broker stops and comes back', () => {
    let broker: KafkaBroker;
    let faultBus: KafkaEventBus;
    const faultLogger = new RecordingLogger();

    beforeAll(async () => {
      broker = await KafkaBroker.start();
      faultBus = new KafkaEventBus({ brokers: broker.brokers, clientId: 'bus-e2e-fault', logger: faultLogger });
    });

    afterAll(async () => {
      await faultBus?.close();
      await broker?.destroy();
    });

    it('rejects publishing while down, then publishes again and the subscribed consumer resumes, losing nothing', async () => {
      const topic = uniqueTopic('bus.fault');
      await faultBus.ensureTopics([topic]);
      const received: IncomingMessage[] = [];
      subscriptions.push(
        await faultBus.subscribe({ groupId: groupId('fault'), topics: [topic], handleBatch: async (batch) => void received.push(...batch) }),
      );
      const publish = (label: string, count: number) =>
        faultBus.publish(topic, [...Array(count).keys()].map((seq) => ({ key: `order-${seq % 3}`, value: JSON.stringify({ key: label, seq }) })));

      await publish('before', 6);
      await waitFor(() => received.length >= 6, 30_000, () => `${received.length} messages before the stop`);

      await broker.stop();
      const started = Date.now();
      await expect(publish('while-down', 1)).rejects.toThrow(/Publishing 1 message\(s\) to .* failed/);
      expect(Date.now() - started).toBeLessThan(10_000);
      await expect(faultBus.isHealthy()).resolves.toBe(false);

      await broker.restart();
      await publish('after', 6);
      await expect(faultBus.isHealthy()).resolves.toBe(true);
      const after = () => received.filter((message) => payload(message).key === 'after');
      await waitFor(() => after().length >= 6, 45_000, () => `${after().length} messages after the restart\n${faultLogger.lines.join('\n')}`);
      expect(after().map((message) => payload(message).seq).sort()).toEqual([0, 1, 2, 3, 4, 5]);

      const stored = await readTopic(broker.brokers, topic, { expected: 12, timeoutMs: 15_000 });
      expect(stored.map((message) => (message.value as { key: string }).key).sort()).toEqual([
        ...Array(6).fill('after'),
        ...Array(6).fill('before'),
      ]);
    });
  });
});
