import { Injectable } from '@nestjs/common';
import type { KeyLike } from 'jose';
import { signDetachedJws, signDetachedPayload } from './detached-jws';
import { SigningKeyService } from './signing-key.service';
import { signStandardWebhook } from './standard-webhooks';

export const JWS_SIGNATURE_HEADER = 'x-jws-signature';
export const STANDARD_WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

export interface DeliveryToSign {
  /** `webhook-id`: the same on every attempt of one delivery. */
  messageId: string;
  /** `webhook-timestamp`, unix seconds. */
  timestamp: number;
  /** The exact body sent; empty for GET and DELETE. */
  body: string;
  /** The value `body` serialises, when the caller has it: spares parsing the body again. */
  bodyValue?: unknown;
  /** The body is RFC 8785 canonical JSON already: signed as is, neither parsed nor canonicalized. */
  canonical?: boolean;
  /** The registration's Standard Webhooks secret in plaintext, or null when it has none. */
  secret: string | null;
}

const EMPTY = new Uint8Array(0);

/** The signature headers of one delivery attempt. */
@Injectable()
export class DeliverySigner {
  constructor(private readonly keys: SigningKeyService) {}

  async sign(delivery: DeliveryToSign): Promise<Record<string, string>> {
    const key = await this.keys.activeKey();
    const headers: Record<string, string> = { [JWS_SIGNATURE_HEADER]: this.jws(key.privateKey, key.kid, delivery) };
    if (delivery.secret) {
      headers[STANDARD_WEBHOOK_SIGNATURE_HEADER] = signStandardWebhook({
        secret: delivery.secret,
        messageId: delivery.messageId,
        timestamp: delivery.timestamp,
        body: delivery.body,
      });
    }
    return headers;
  }

  private jws(privateKey: KeyLike, kid: string, delivery: DeliveryToSign): string {
    if (delivery.bodyValue !== undefined) return signDetachedJws({ privateKey, kid, payload: delivery.bodyValue });
    // A request without a body has no JSON to canonicalize: the signature covers zero bytes.
    if (delivery.body === '') return signDetachedPayload({ privateKey, kid, payload: EMPTY });
    if (delivery.canonical) return signDetachedPayload({ privateKey, kid, payload: delivery.body });
    return signDetachedJws({ privateKey, kid, payload: JSON.parse(delivery.body) });
  }
}
