import { Inject, Injectable } from '@nestjs/common';
import { KafkaDestination, withTargetSecrets } from '@ordercast/contracts';
import { SECRET_BOX, SecretBox } from '@ordercast/platform';
import { NotificationServiceConfig } from '../config/notification-service.config';
import type { ClaimedAttempt } from './dispatch.repository';
import type { HttpRequest } from './http-invoker';
import { KAFKA_PRODUCERS, KafkaProducers } from './kafka-producer.port';
import type { KafkaOutcome } from './kafka-verdict';
import { maskSentSecrets } from './sent-secrets';

/** What the dispatcher records of a Kafka attempt. */
export interface KafkaAttempt {
  outcome: KafkaOutcome;
  /** The record's headers as the Event shows them (registered values masked); null when it was never built. */
  maskedHeaders: Record<string, string> | null;
  /** The cluster was asked to take the record; false when the attempt failed before (nothing for the breakers). */
  askedCluster: boolean;
}

/**
 * `delivery: kafka`: the body a webhook gets, produced to the merchant's topic with the order id as
 * key (so one order's records stay in one partition, in order) and the webhook's headers (webhook-id,
 * webhook-timestamp, signatures, registered headers) as record headers, so a consumer verifies
 * and deduplicates exactly as a webhook receiver does. Kafka header names are case-sensitive, so
 * they are all lower case, as HTTP/2 writes them. An error the cluster or client gives is stored
 * with every secret of the attempt masked (the webhook request's and the SASL password), as a webhook target's answer is.
 */
@Injectable()
export class KafkaSender {
  constructor(
    @Inject(KAFKA_PRODUCERS) private readonly producers: KafkaProducers,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    private readonly config: NotificationServiceConfig,
  ) {}

  /** `prepare` builds the webhook request of the attempt: its headers and signatures are the record's. */
  async send(row: ClaimedAttempt, prepare: () => Promise<{ request: HttpRequest; maskedHeaders: Record<string, string>; secrets: string[] }>): Promise<KafkaAttempt> {
    if (row.sealedKafka === null) return { outcome: { kind: 'error', error: 'no kafka destination' }, maskedHeaders: null, askedCluster: false };
    let prepared: { request: HttpRequest; maskedHeaders: Record<string, string>; secrets: string[] };
    let destination: KafkaDestination;
    try {
      prepared = await prepare();
      destination = withTargetSecrets({ kafka: row.sealedKafka }, (value) => this.box.decrypt(value, 'target-credentials')).kafka;
    } catch (error) {
      return { outcome: { kind: 'error', error: `could not prepare the record: ${(error as Error).message}` }, maskedHeaders: null, askedCluster: false };
    }
    try {
      const produced = await this.producers.produce(
        { brokers: destination.brokers, ssl: destination.ssl, sasl: destination.sasl },
        { topic: destination.topic, key: row.orderId, value: row.body, headers: lowerCaseNames(prepared.request.headers) },
        this.config.deliveryTimeoutMs,
      );
      return { outcome: { kind: 'produced', ...produced }, maskedHeaders: lowerCaseNames(prepared.maskedHeaders), askedCluster: true };
    } catch (error) {
      const secrets = destination.sasl === null ? prepared.secrets : [destination.sasl.password, ...prepared.secrets];
      return { outcome: { kind: 'error', error: maskSentSecrets((error as Error).message, secrets) }, maskedHeaders: lowerCaseNames(prepared.maskedHeaders), askedCluster: true };
    }
  }
}

function lowerCaseNames(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
