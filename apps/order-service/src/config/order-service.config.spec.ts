import { DEMO_API_TOKENS, DEMO_ENCRYPTION_KEY, loadConfig } from '@ordercast/platform';
import { OrderServiceConfig } from './order-service.config';

/** Secrets of a deployment's own; the demo ones are refused outside the embedded default. */
const OWN_SECRETS = { API_TOKENS: 'alpha:alpha-token-1', ENCRYPTION_KEY: '1GzJHZyERucXR+zC7Emvgn+e6iiafDNBZJ1bmWsu9/0=' };

describe('OrderServiceConfig', () => {
  it('defaults to port 3000, a pool of 10, a 500 ms poll, 10 ms between batches and a day of outbox history', () => {
    const config = loadConfig(OrderServiceConfig, OWN_SECRETS);
    expect(config).toMatchObject({ port: 3000, databasePoolSize: 10, outboxPollMs: 500, outboxBatchIntervalMs: 10 });
    expect(config.outboxRetentionMs).toBe(86_400_000);
  });

  it('reads the variables', () => {
    const config = loadConfig(OrderServiceConfig, { ...OWN_SECRETS, PORT: '0', DATABASE_POOL_SIZE: '40', OUTBOX_POLL_MS: '50', OUTBOX_BATCH_INTERVAL_MS: '25', OUTBOX_RETENTION: '30m' });
    expect(config).toMatchObject({ port: 0, databasePoolSize: 40, outboxPollMs: 50, outboxBatchIntervalMs: 25 });
    expect(config.outboxRetentionMs).toBe(1_800_000);
  });

  it('defaults to topics for one broker and a message budget inside Kafka\'s default 1,048,588 bytes', () => {
    const config = loadConfig(OrderServiceConfig, OWN_SECRETS);
    expect(config.kafkaTopics).toEqual({ partitions: 3, replicationFactor: 1, minInsyncReplicas: 1 });
    expect(config.kafkaMaxMessageBytes).toBe(1_000_000);
  });

  it('reads the topic layout of a three-broker cluster', () => {
    const config = loadConfig(OrderServiceConfig, { ...OWN_SECRETS, KAFKA_PARTITIONS: '12', KAFKA_REPLICATION_FACTOR: '3', KAFKA_MIN_INSYNC_REPLICAS: '2', KAFKA_MAX_MESSAGE_BYTES: '4000000' });
    expect(config.kafkaTopics).toEqual({ partitions: 12, replicationFactor: 3, minInsyncReplicas: 2 });
    expect(config.kafkaMaxMessageBytes).toBe(4_000_000);
  });

  it.each([
    ['KAFKA_PARTITIONS', '0', 'KAFKA_PARTITIONS must be a whole number from 1 to 1000'],
    ['KAFKA_REPLICATION_FACTOR', 'three', 'KAFKA_REPLICATION_FACTOR must be a whole number from 1 to 10'],
    ['KAFKA_MIN_INSYNC_REPLICAS', '2', 'KAFKA_MIN_INSYNC_REPLICAS must not exceed KAFKA_REPLICATION_FACTOR'],
    ['KAFKA_MAX_MESSAGE_BYTES', '1000', 'KAFKA_MAX_MESSAGE_BYTES must be a whole number from 65536 to 104857600'],
    ['KAFKA_MAX_MESSAGE_BYTES', '1mb', 'KAFKA_MAX_MESSAGE_BYTES must be a whole number from 65536 to 104857600'],
    ['OUTBOX_POLL_MS', 'soon', 'OUTBOX_POLL_MS must be a whole number from 10 to 60000'],
    ['OUTBOX_POLL_MS', '0', 'OUTBOX_POLL_MS must be a whole number from 10 to 60000'],
    ['OUTBOX_BATCH_INTERVAL_MS', '-1', 'OUTBOX_BATCH_INTERVAL_MS must be a whole number from 0 to 1000'],
    ['DATABASE_POOL_SIZE', '1.5', 'DATABASE_POOL_SIZE must be a whole number from 2 to 200'],
    ['OUTBOX_RETENTION', '1 day', 'OUTBOX_RETENTION must be a duration such as 30m or 24h'],
    ['OUTBOX_RETENTION', '1h,2h', 'OUTBOX_RETENTION must be a duration such as 30m or 24h'],
  ])('fails naming %s when it is %j', (variable, value, message) => {
    expect(() => loadConfig(OrderServiceConfig, { ...OWN_SECRETS, [variable]: value })).toThrow(message);
  });

  describe('demo secrets', () => {
    it.each([
      ['API_TOKENS', 'not set', { ENCRYPTION_KEY: OWN_SECRETS.ENCRYPTION_KEY }],
      ['API_TOKENS', 'the demo token', { ...OWN_SECRETS, API_TOKENS: DEMO_API_TOKENS }],
      ['API_TOKENS', 'the demo token beside others', { ...OWN_SECRETS, API_TOKENS: `alpha:alpha-token-1,${DEMO_API_TOKENS}` }],
      ['ENCRYPTION_KEY', 'not set', { API_TOKENS: OWN_SECRETS.API_TOKENS }],
      ['ENCRYPTION_KEY', 'the built-in key', { ...OWN_SECRETS, ENCRYPTION_KEY: DEMO_ENCRYPTION_KEY }],
      ['ENCRYPTION_KEY', 'the built-in key as an old key of the ring', { ...OWN_SECRETS, ENCRYPTION_KEY: `${OWN_SECRETS.ENCRYPTION_KEY},${DEMO_ENCRYPTION_KEY}` }],
    ])('refuses to load, naming %s, when it is %s', (variable, _case, env) => {
      expect(() => loadConfig(OrderServiceConfig, env)).toThrow(new RegExp(`^Invalid configuration:\\n  ${variable}: .*only the embedded default`));
    });

    it('are what the embedded default launcher runs on, and says so in code', () => {
      const config = loadConfig(OrderServiceConfig, {}, { embeddedDefault: true });
      expect(config).toMatchObject({ apiTokens: DEMO_API_TOKENS, encryptionKey: DEMO_ENCRYPTION_KEY, embeddedDefault: true });
      expect(loadConfig(OrderServiceConfig, OWN_SECRETS).embeddedDefault).toBe(false);
    });

    it.each([
      ['a passphrase', 'ordercast-embedded-demo-key-change-me'],
      ['16 bytes', 'QVDcfeNXbwM4UboRvanSPg=='],
      ['an empty key in the ring', `${'ab'.repeat(32)},`],
    ])('refuses an ENCRYPTION_KEY that is %s, not 32 bytes', (_case, key) => {
      expect(() => loadConfig(OrderServiceConfig, { ...OWN_SECRETS, ENCRYPTION_KEY: key })).toThrow('ENCRYPTION_KEY must be one or more comma-separated keys of 32 random bytes');
    });

    it('takes a ring of base64 and hex keys', () => {
      const ring = `${OWN_SECRETS.ENCRYPTION_KEY}, ${'ab'.repeat(32)}`;
      expect(loadConfig(OrderServiceConfig, { ...OWN_SECRETS, ENCRYPTION_KEY: ring }).encryptionKey).toBe(ring);
    });
  });
});
