import canonicalize from 'canonicalize';
import type { JWK, KeyLike } from 'jose';
import { createPrivateKey, KeyObject, sign, type JsonWebKey, type webcrypto } from 'node:crypto';

export const JWS_ALGORITHM = 'ES256';

/** Only the active key signs and keys rotate rarely: the cap matters only to a process that lives through many rotations. */
const MAX_CACHED_HEADERS = 16;

/** `<base64url protected header>.` per kid, as text and as the ASCII bytes the signing input starts with. */
const signingPrefixes = new Map<string, { header: string; bytes: Buffer }>();

/** RFC 8785 canonical JSON: what the receiver recomputes from the body it got. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('the payload has no JSON representation');
  return text;
}

function signingPrefix(kid: string): { header: string; bytes: Buffer } {
  let prefix = signingPrefixes.get(kid);
  if (prefix) return prefix;
  // Member order as jose wrote it, so headers stay byte-identical to the ones signed before.
  const header = Buffer.from(JSON.stringify({ alg: JWS_ALGORITHM, kid, b64: false, crit: ['b64'] })).toString('base64url');
  prefix = { header, bytes: Buffer.from(`${header}.`, 'ascii') };
  if (signingPrefixes.size >= MAX_CACHED_HEADERS) signingPrefixes.delete(signingPrefixes.keys().next().value as string);
  signingPrefixes.set(kid, prefix);
  return prefix;
}

function privateKeyObject(key: KeyLike | JWK): KeyObject {
  if (key instanceof KeyObject) return key;
  if ('kty' in key) return createPrivateKey({ key: key as JsonWebKey, format: 'jwk' });
  // What remains of jose's KeyLike is a WebCrypto CryptoKey; anything else makes `from` throw.
  return KeyObject.from(key as webcrypto.CryptoKey);
}

function assertEs256PrivateKey(key: KeyObject): void {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new TypeError(`${JWS_ALGORITHM} needs a P-256 private key`);
  }
}

/**
 * RFC 7797 JWS with an unencoded, detached payload: the signing input is the protected
 * header in base64url, a dot and the payload bytes as they are, so the receiver verifies
 * against bytes it already has instead of a base64 copy in the header.
 *
 * Signed with node:crypto directly and synchronously: jose's node runtime hands each signature to
 * the libuv threadpool, and the hop cost about three times the signature itself.
 */
export function signDetachedPayload(input: { privateKey: KeyLike | JWK; kid: string; payload: Uint8Array }): string {
  const key = privateKeyObject(input.privateKey);
  assertEs256PrivateKey(key);
  const prefix = signingPrefix(input.kid);
  // ES256 signatures are R || S (JWA section 3.4), not the DER that node produces by default.
  const signature = sign('sha256', Buffer.concat([prefix.bytes, input.payload]), { key, dsaEncoding: 'ieee-p1363' });
  return `${prefix.header}..${signature.toString('base64url')}`;
}

/** Detached JWS over the canonical JSON of `payload`, as Verifone's `x-vfi-jws`. */
export function signDetachedJws(input: { privateKey: KeyLike | JWK; kid: string; payload: unknown }): string {
  return signDetachedPayload({ privateKey: input.privateKey, kid: input.kid, payload: Buffer.from(canonicalJson(input.payload), 'utf8') });
}
