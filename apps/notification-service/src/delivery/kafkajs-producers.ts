import { isForbiddenAddress, TargetGuard } from '@ordercast/platform';
import { Kafka, logLevel, Producer, SASLOptions, ISocketFactory } from 'kafkajs';
import { createHash } from 'node:crypto';
import net, { isIP, LookupFunction } from 'node:net';
import tls from 'node:tls';
import { KafkaCluster, KafkaProducers, KafkaRecord, ProducedRecord } from './kafka-producer.port';

/** Clusters with an open producer at most; the one unused longest is closed beyond this. */
const MAX_PRODUCERS = 200;
/** A producer unused this long is disconnected. */
const IDLE_MS = 60_000;
/** Bounded so a failing cluster fails the attempt within the delivery timeout; the retry schedule does the rest. */
const CLIENT_RETRY = { initialRetryTime: 100, maxRetryTime: 1_000, retries: 2 };

interface PooledProducer {
  producer: Promise<Producer>;
  lastUsed: number;
}

export interface KafkajsProducersOptions {
  /** Certificate authorities trusted for `ssl` clusters; the system's when absent. */
  ca?: string[];
}

/**
 * The Kafka producer port on kafkajs, the only file of the delivery code that knows it. One
 * producer per cluster (brokers and credentials), shared by every delivery to it and closed when
 * idle. Every connection, to the seed brokers and to those their metadata names, is made through
 * {@link TargetGuard.lookup}, so a broker that resolves to a private address is refused at connect
 * time as a webhook host is. Records are written with `acks: all`; topics are never created.
 */
export class KafkajsProducers implements KafkaProducers {
  private readonly pool = new Map<string, PooledProducer>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly guard: TargetGuard, private readonly options: KafkajsProducersOptions = {}) {
    this.sweeper = setInterval(() => this.closeIdle(), IDLE_MS / 2);
    this.sweeper.unref();
  }

  async produce(cluster: KafkaCluster, record: KafkaRecord, timeoutMs: number): Promise<ProducedRecord> {
    const key = clusterKey(cluster);
    const producer = this.producer(key, cluster, timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const [written] = await Promise.race([
        producer.then((connected) => connected.send({
          topic: record.topic,
          acks: -1,
          timeout: timeoutMs,
          messages: [{ key: record.key, value: record.value, headers: record.headers }],
        })),
        deadline,
      ]);
      return { partition: written.partition, offset: written.baseOffset ?? written.offset ?? '' };
    } catch (error) {
      // A failed producer is replaced, so the next attempt starts from a fresh connection and fresh metadata.
      this.discard(key);
      throw new Error(`kafka: ${describe(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Disconnects every producer (Nest calls this at shutdown, after the dispatcher has drained). */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.allSettled([...this.pool.keys()].map((key) => this.discard(key)));
  }

  private producer(key: string, cluster: KafkaCluster, timeoutMs: number): Promise<Producer> {
    const pooled = this.pool.get(key);
    if (pooled) {
      pooled.lastUsed = Date.now();
      return pooled.producer;
    }
    const kafka = new Kafka({
      clientId: 'ordercast-delivery',
      brokers: cluster.brokers,
      ssl: cluster.ssl ? (this.options.ca ? { ca: this.options.ca } : true) : false,
      sasl: cluster.sasl === null ? undefined : ({ mechanism: cluster.sasl.mechanism, username: cluster.sasl.username, password: cluster.sasl.password } as SASLOptions),
      connectionTimeout: Math.min(timeoutMs, 5_000),
      requestTimeout: timeoutMs,
      retry: CLIENT_RETRY,
      socketFactory: this.guardedSockets(),
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: CLIENT_RETRY });
    const connected = producer.connect().then(() => producer);
    connected.catch(() => undefined);
    this.pool.set(key, { producer: connected, lastUsed: Date.now() });
    if (this.pool.size > MAX_PRODUCERS) {
      const oldest = [...this.pool.entries()].reduce((a, b) => (b[1].lastUsed < a[1].lastUsed ? b : a));
      void this.discard(oldest[0]);
    }
    return connected;
  }

  private async discard(key: string): Promise<void> {
    const pooled = this.pool.get(key);
    if (!pooled) return;
    this.pool.delete(key);
    await pooled.producer.then((producer) => producer.disconnect(), () => undefined).catch(() => undefined);
  }

  private closeIdle(): void {
    const now = Date.now();
    for (const [key, pooled] of this.pool) if (now - pooled.lastUsed > IDLE_MS) void this.discard(key);
  }

  /** kafkajs's default socket factory, with the SSRF check of webhook hosts. */
  private guardedSockets(): ISocketFactory {
    const lookup = this.guard.lookup as LookupFunction;
    return ({ host, port, ssl, onConnect }) => {
      const address = host.replace(/^\[|\]$/g, '');
      if (!this.guard.allowPrivate && isIP(address) && isForbiddenAddress(address)) {
        const refused = new net.Socket();
        process.nextTick(() => refused.destroy(new Error(`refused to connect to ${host}: private, loopback, link-local or reserved address`)));
        return refused;
      }
      const socket = ssl
        ? tls.connect({ host, port, servername: isIP(address) ? undefined : host, lookup, ...(typeof ssl === 'object' ? ssl : {}) }, onConnect)
        : net.connect({ host, port, lookup }, onConnect);
      socket.setKeepAlive(true, 60_000);
      return socket;
    };
  }
}

/** Brokers and credentials: deliveries to one cluster with one identity share a producer. */
function clusterKey(cluster: KafkaCluster): string {
  return createHash('sha256').update(JSON.stringify([[...cluster.brokers].sort(), cluster.ssl, cluster.sasl])).digest('base64url');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== error.message ? `${error.message} (${cause.message})` : error.message;
}
