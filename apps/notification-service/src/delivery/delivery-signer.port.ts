/** Injection token of the {@link MessageSigner} (the signing module's DeliverySigner). */
export const SIGNER = Symbol('SIGNER');

export interface SignatureInput {
  messageId: string;
  /** Unix seconds, as sent in `webhook-timestamp`. */
  timestamp: number;
  /** The exact body sent; empty for GET and DELETE. */
  body: string;
  /** The body is RFC 8785 canonical JSON already, so the JWS signs it as is. */
  canonical: boolean;
  /** The plaintext Standard Webhooks secret, or null. */
  secret: string | null;
}

/** Returns the signature headers of one attempt. */
export interface MessageSigner {
  sign(input: SignatureInput): Promise<Record<string, string>>;
}
