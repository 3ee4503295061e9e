import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]+={0,2}$/;
const SECRET_BYTES = 24;

export interface StandardWebhookMessage {
  /** `whsec_` followed by the base64 of the HMAC key. */
  secret: string;
  messageId: string;
  /** Unix seconds, as sent in `webhook-timestamp`. */
  timestamp: number;
  /** The exact body bytes sent; re-serialising would change the signature. */
  body: string;
}

function hmacKey(secret: string): Buffer {
  if (!SECRET_PATTERN.test(secret)) throw new Error('a Standard Webhooks secret is "whsec_" followed by base64');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

function digest(message: StandardWebhookMessage): Buffer {
  return createHmac('sha256', hmacKey(message.secret)).update(`${message.messageId}.${message.timestamp}.${message.body}`).digest();
}

/** The `webhook-signature` header value (Standard Webhooks, symmetric `v1`). */
export function signStandardWebhook(message: StandardWebhookMessage): string {
  return `v1,${digest(message).toString('base64')}`;
}

/**
 * Checks a `webhook-signature` header (space-separated `v1,<base64>` entries, any one may
 * match, as during a receiver's secret rotation). It checks the signature only: a receiver
 * must also reject stale `webhook-timestamp` values.
 */
export function verifyStandardWebhook(message: StandardWebhookMessage & { signature: string }): boolean {
  const expected = digest(message);
  return message.signature.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}
