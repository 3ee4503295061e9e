import type { KafkaSasl } from '@ordercast/contracts';

/** Injection token of the {@link KafkaProducers}. */
export const KAFKA_PRODUCERS = Symbol('KAFKA_PRODUCERS');

/** A merchant's Kafka cluster as a delivery reaches it, the SASL password opened. */
export interface KafkaCluster {
  brokers: string[];
  ssl: boolean;
  sasl: KafkaSasl | null;
}

export interface KafkaRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Where the record was written: what the Event keeps as its response. */
export interface ProducedRecord {
  partition: number;
  offset: string;
}

/**
 * Produces delivery records to merchants' Kafka clusters. A record acknowledged by the cluster
 * resolves with its partition and offset; anything else (unreachable, refused, timed out) throws
 * with a readable message. The dispatcher depends on this port only.
 */
export interface KafkaProducers {
  produce(cluster: KafkaCluster, record: KafkaRecord, timeoutMs: number): Promise<ProducedRecord>;
}
