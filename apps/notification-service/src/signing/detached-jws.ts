import type { JWK, KeyLike } from 'jose';
import { createPrivateKey, KeyObject, sign, type JsonWebKey, type webcrypto } from 'node:crypto';

export const JWS_ALGORITHM = 'ES256';

/** Only the active key signs and keys rotate rarely: the cap matters only to a process that lives through many rotations. */
const MAX_CACHED_HEADERS = 16;

/** `<base64url protected header>.` per kid, as text and as the ASCII bytes the signing input starts with. */
const signingPrefixes = new Map<string, { header: string; bytes: Buffer }>();

/**
 * RFC 8785 canonical JSON: what the receiver recomputes from the body it got. Byte for byte what the
 * `canonicalize` package writes (the reference the tests and receivers use), in loops instead of its
 * closure per member: every order snapshot a change delivers is serialised here.
 */
export function canonicalJson(value: unknown): string {
  const text = serialize(value);
  if (text === undefined) throw new Error('the payload has no JSON representation');
  return text;
}

function serialize(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) throw new Error('NaN is not allowed');
    if (!Number.isFinite(value)) throw new Error('Infinity is not allowed');
    return JSON.stringify(value);
  }
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const { toJSON } = value as { toJSON?: unknown };
  if (toJSON instanceof Function) return serialize(toJSON.call(value));
  if (Array.isArray(value)) {
    let items = '';
    for (let index = 0; index < value.length; index += 1) {
      // Holes are skipped, as Array.prototype.reduce skips them in the reference.
      if (!(index in value)) continue;
      const item: unknown = value[index];
      items += `${index === 0 ? '' : ','}${serialize(item === undefined || typeof item === 'symbol' ? null : item)}`;
    }
    return `[${items}]`;
  }
  const object = value as Record<string, unknown>;
  let members = '';
  for (const name of Object.keys(object).sort()) {
    const member = object[name];
    if (member === undefined || typeof member === 'symbol') continue;
    members += `${members.length === 0 ? '' : ','}${JSON.stringify(name)}:${serialize(member)}`;
  }
  return `{${members}}`;
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
 * A string payload stands for its UTF-8 bytes.
 */
export function signDetachedPayload(input: { privateKey: KeyLike | JWK; kid: string; payload: Uint8Array | string }): string {
  const key = privateKeyObject(input.privateKey);
  assertEs256PrivateKey(key);
  const prefix = signingPrefix(input.kid);
  // A text payload is encoded together with the ASCII header: one copy instead of encoding it and then concatenating.
  const signingInput = typeof input.payload === 'string' ? Buffer.from(`${prefix.header}.${input.payload}`, 'utf8') : Buffer.concat([prefix.bytes, input.payload]);
  // ES256 signatures are R || S (JWA section 3.4), not the DER that node produces by default.
  const signature = sign('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' });
  return `${prefix.header}..${signature.toString('base64url')}`;
}

/** Detached JWS over the canonical JSON of `payload`, as Verifone's `x-vfi-jws`. */
export function signDetachedJws(input: { privateKey: KeyLike | JWK; kid: string; payload: unknown }): string {
  return signDetachedPayload({ privateKey: input.privateKey, kid: input.kid, payload: canonicalJson(input.payload) });
}
