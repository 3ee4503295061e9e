import type { DeliveryKind, HttpMethod, KafkaDestination, PayloadKind, Registration, TargetAuth, Watch } from '@ordercast/contracts';

/**
 * Where and how a match is delivered: an order's registration or a merchant's subscription,
 * with header values, secret, URL credentials and target credentials sealed (SecretBox), as they are stored.
 */
export interface DeliveryTarget {
  kind: 'registration' | 'subscription';
  id: string;
  reference: string | null;
  description: string | null;
  scope: Watch[];
  url: string | null;
  method: HttpMethod;
  sealedHeaders: Record<string, string>;
  sealedSecret: string | null;
  payload: PayloadKind;
  delivery: DeliveryKind;
  email: string | null;
  /** OAuth2 client secret or mTLS private key sealed. */
  sealedAuth: TargetAuth | null;
  /** SASL password sealed. */
  sealedKafka: KafkaDestination | null;
}

/** A registration whose header values and secret are sealed, as kept in the order snapshot store. */
export type SealedRegistration = Registration;

export function registrationTarget(sealed: SealedRegistration): DeliveryTarget {
  return {
    kind: 'registration',
    id: sealed.id,
    reference: sealed.reference,
    description: sealed.description,
    scope: sealed.scope,
    url: sealed.url,
    method: sealed.method,
    sealedHeaders: sealed.headers,
    sealedSecret: sealed.secret,
    payload: sealed.payload,
    delivery: sealed.delivery,
    email: sealed.email,
    sealedAuth: sealed.auth ?? null,
    sealedKafka: sealed.kafka ?? null,
  };
}
