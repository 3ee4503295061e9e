import type { KafkaDestination } from './kafka-destination';
import type { TargetAuth } from './target-auth';

/** What a registration or subscription says about reaching its target beyond the URL and headers. */
export interface TargetConnection {
  auth?: TargetAuth | null;
  kafka?: KafkaDestination | null;
}

/**
 * The same target with each of its credentials (OAuth2 client secret, mTLS private key, SASL
 * password) replaced by `transform(value)`: sealing, opening and masking are each one call, so no
 * path can seal one credential and forget another.
 */
export function withTargetSecrets<T extends TargetConnection>(target: T, transform: (value: string) => string): T {
  const auth = target.auth ?? null;
  const kafka = target.kafka ?? null;
  return {
    ...target,
    auth: auth === null ? null
      : auth.type === 'mtls' ? { ...auth, privateKey: transform(auth.privateKey) }
      : { ...auth, clientSecret: transform(auth.clientSecret) },
    kafka: kafka === null ? null : { ...kafka, sasl: kafka.sasl === null ? null : { ...kafka.sasl, password: transform(kafka.sasl.password) } },
  };
}
