export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export interface KafkaSasl {
  mechanism: KafkaSaslMechanism;
  username: string;
  /** Sealed at rest and on the bus, masked in responses. */
  password: string;
}

/**
 * A merchant's Kafka topic that receives the webhook body instead of an HTTP call (`delivery: "kafka"`):
 * key = order id, headers = the webhook headers. `ssl` connects with TLS, verifying the brokers' certificates.
 */
export interface KafkaDestination {
  brokers: string[];
  topic: string;
  sasl: KafkaSasl | null;
  ssl: boolean;
}

export const MAX_KAFKA_BROKERS = 16;
/** Kafka's own rule for topic names. */
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 address. */
const BROKER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;
const MAX_CREDENTIAL = 1024;
const FIELDS = new Set(['brokers', 'topic', 'sasl', 'ssl']);
const SASL_FIELDS = new Set(['mechanism', 'username', 'password']);

/** What is wrong with a `kafka` object as a client sends it. */
export function kafkaDestinationErrors(kafka: unknown): string[] {
  if (typeof kafka !== 'object' || kafka === null || Array.isArray(kafka)) return ['kafka must be an object with brokers and topic'];
  const { brokers, topic, sasl, ssl } = kafka as Record<string, unknown>;
  const errors = Object.keys(kafka).filter((name) => !FIELDS.has(name)).map((name) => `kafka.${name.slice(0, 64)} is not allowed`);
  if (!Array.isArray(brokers) || brokers.length === 0 || brokers.length > MAX_KAFKA_BROKERS) {
    errors.push(`kafka.brokers must be a list of 1 to ${MAX_KAFKA_BROKERS} host:port addresses`);
  } else {
    for (const broker of brokers) {
      const port = typeof broker === 'string' && broker.length <= 300 ? BROKER.exec(broker)?.[1] : undefined;
      if (port === undefined || Number(port) < 1 || Number(port) > 65535) errors.push(`kafka.brokers: "${String(broker).slice(0, 64)}" is not a host:port address`);
    }
  }
  if (typeof topic !== 'string' || !TOPIC.test(topic)) errors.push('kafka.topic must be a Kafka topic name: 1 to 249 letters, digits, ".", "_" or "-"');
  if (ssl !== undefined && typeof ssl !== 'boolean') errors.push('kafka.ssl must be a boolean');
  if (sasl !== undefined) errors.push(...saslErrors(sasl));
  return errors;
}

function saslErrors(sasl: unknown): string[] {
  if (typeof sasl !== 'object' || sasl === null || Array.isArray(sasl)) return ['kafka.sasl must be an object with mechanism, username and password'];
  const fields = sasl as Record<string, unknown>;
  const errors = Object.keys(fields).filter((name) => !SASL_FIELDS.has(name)).map((name) => `kafka.sasl.${name.slice(0, 64)} is not allowed`);
  if (!KAFKA_SASL_MECHANISMS.includes(fields.mechanism as KafkaSaslMechanism)) errors.push(`kafka.sasl.mechanism must be one of ${KAFKA_SASL_MECHANISMS.join(', ')}`);
  for (const name of ['username', 'password'] as const) {
    const value = fields[name];
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CREDENTIAL) errors.push(`kafka.sasl.${name} must be a non-empty string of at most ${MAX_CREDENTIAL} characters`);
  }
  return errors;
}

/** The stored form of a validated `kafka` object. */
export function toKafkaDestination(kafka: Record<string, unknown>): KafkaDestination {
  const sasl = kafka.sasl as KafkaSasl | undefined;
  return {
    brokers: [...(kafka.brokers as string[])],
    topic: kafka.topic as string,
    sasl: sasl === undefined ? null : { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password },
    ssl: (kafka.ssl as boolean | undefined) ?? false,
  };
}

/** The host of a validated `host:port` broker address, without IPv6 brackets. */
export function brokerHost(broker: string): string {
  return broker.slice(0, broker.lastIndexOf(':')).replace(/^\[|\]$/g, '');
}
