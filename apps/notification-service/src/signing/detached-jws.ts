import canonicalize from 'canonicalize';
import { FlattenedSign, importJWK, type JWK, type KeyLike } from 'jose';

export const JWS_ALGORITHM = 'ES256';

const encoder = new TextEncoder();

/** RFC 8785 canonical JSON: what the receiver recomputes from the body it got. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('the payload has no JSON representation');
  return text;
}

function isJwk(key: KeyLike | JWK): key is JWK {
  return 'kty' in key;
}

/**
 * RFC 7797 JWS with an unencoded, detached payload: the signing input is the protected
 * header in base64url, a dot and the payload bytes as they are, so the receiver verifies
 * against bytes it already has instead of a base64 copy in the header.
 */
export async function signDetachedPayload(input: { privateKey: KeyLike | JWK; kid: string; payload: Uint8Array }): Promise<string> {
  const key = isJwk(input.privateKey) ? await importJWK(input.privateKey, JWS_ALGORITHM) : input.privateKey;
  const jws = await new FlattenedSign(input.payload)
    .setProtectedHeader({ alg: JWS_ALGORITHM, kid: input.kid, b64: false, crit: ['b64'] })
    .sign(key);
  return `${jws.protected}..${jws.signature}`;
}

/** Detached JWS over the canonical JSON of `payload`, as Verifone's `x-vfi-jws`. */
export async function signDetachedJws(input: { privateKey: KeyLike | JWK; kid: string; payload: unknown }): Promise<string> {
  return signDetachedPayload({ privateKey: input.privateKey, kid: input.kid, payload: encoder.encode(canonicalJson(input.payload)) });
}
