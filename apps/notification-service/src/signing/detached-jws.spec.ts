import canonicalize from 'canonicalize';
import { exportJWK, FlattenedSign, flattenedVerify, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import { generateKeyPairSync, webcrypto } from 'node:crypto';
import { canonicalJson, signDetachedJws, signDetachedPayload } from './detached-jws';

const encoder = new TextEncoder();

/** Verifies the way a receiver does: rebuild the JWS from the header value and the canonical body bytes. */
async function verify(header: string, body: string, key: KeyLike) {
  const [protectedHeader, payload, signature] = header.split('.');
  expect(payload).toBe('');
  const canonical = canonicalJson(JSON.parse(body));
  return flattenedVerify({ protected: protectedHeader, payload: encoder.encode(canonical), signature }, key, { algorithms: ['ES256'] });
}

describe('detached JWS (RFC 7797) over RFC 8785 canonical JSON', () => {
  let keys: { publicKey: KeyLike; privateKey: KeyLike };
  beforeAll(async () => {
    keys = await generateKeyPair('ES256', { extractable: true });
  });

  it('canonicalizes as RFC 8785: sorted keys, no whitespace, ES number form', () => {
    expect(canonicalJson({ b: [1e21, 0.000001, -0], a: { y: 'é', x: true }, '€': null, '\u0080': 1 })).toBe(
      '{"a":{"x":true,"y":"é"},"b":[1e+21,0.000001,0],"\u0080":1,"€":null}',
    );
  });

  it('writes byte for byte what the canonicalize package writes', () => {
    const values: unknown[] = [
      null, true, false, 0, -0, 1e21, 1e-7, 5e-324, 0.30000000000000004, 'Zoë 注文 🚚 \ud800 \u2028 "q" \\', [], {}, [[], [[1]]],
      { b: 1, a: { d: [1, 'x', null], c: {} }, '\u{1F600}': 1, '\uFFFD': 2, é: 3, e: 4, E: 5, '': 6, '10': 7, '9': 8, 'a"b\n': 9, '\u0080': 10 },
      { gone: undefined, symbol: Symbol('s'), list: [undefined, Symbol('t'), 1] },
      { at: new Date('2025-01-01T00:00:00.000Z'), custom: { toJSON: () => ({ z: 1, a: 2 }) } },
      // eslint-disable-next-line no-sparse-arrays
      [1, , 3], [, 1],
    ];
    for (let seed = 1; seed <= 200; seed += 1) values.push(randomJson(seed, 4));
    for (const value of values) expect(canonicalJson(value)).toBe(canonicalize(value));
  });

  it('produces <protected>..<signature> with b64=false as a critical header', () => {
    const header = signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: { a: 1 } });
    expect(header).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
    const decoded = JSON.parse(Buffer.from(header.split('.')[0], 'base64url').toString('utf8'));
    expect(decoded).toEqual({ alg: 'ES256', kid: 'k1', b64: false, crit: ['b64'] });
  });

  it('verifies against the body as sent, whatever its key order and whitespace', async () => {
    const value = { orderId: 'o-1', amount: 12.5, nested: { z: 1, a: [true, null] } };
    const header = signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: value });
    const sentBody = JSON.stringify(value, null, 2);
    const result = await verify(header, sentBody, keys.publicKey);
    expect(result.protectedHeader).toMatchObject({ kid: 'k1', b64: false });
    expect(new TextDecoder().decode(result.payload)).toBe('{"amount":12.5,"nested":{"a":[true,null],"z":1},"orderId":"o-1"}');
  });

  it('accepts the private key as a JWK', async () => {
    const jwk = await exportJWK(keys.privateKey);
    const header = signDetachedJws({ privateKey: jwk, kid: 'k1', payload: [1, 2] });
    await expect(verify(header, '[1,2]', keys.publicKey)).resolves.toBeDefined();
  });

  it('fails verification for a tampered body', async () => {
    const header = signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: { amount: 10 } });
    await expect(verify(header, '{"amount":11}', keys.publicKey)).rejects.toThrow('signature verification failed');
  });

  it('fails verification with another key', async () => {
    const other = await generateKeyPair('ES256');
    const header = signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: { amount: 10 } });
    await expect(verify(header, '{"amount":10}', other.publicKey)).rejects.toThrow('signature verification failed');
  });

  it('refuses a payload without a JSON representation', () => {
    expect(() => signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: undefined })).toThrow('no JSON representation');
    expect(() => signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: { n: Number.NaN } })).toThrow('NaN');
  });
});

describe('detached JWS (RFC 7797) over raw payload bytes', () => {
  let keys: { publicKey: KeyLike; privateKey: KeyLike };
  let publicJwk: JWK;
  beforeAll(async () => {
    keys = await generateKeyPair('ES256', { extractable: true });
    publicJwk = await exportJWK(keys.publicKey);
  });

  /** As a receiver holding the published JWK: the payload is the bytes received, not base64url. */
  async function verifyWithJwk(header: string, payload: Uint8Array, jwk: JWK = publicJwk) {
    const [protectedHeader, detached, signature] = header.split('.');
    expect(detached).toBe('');
    return flattenedVerify({ protected: protectedHeader, payload, signature }, await importJWK(jwk, 'ES256'), { algorithms: ['ES256'], crit: { b64: true } });
  }

  it.each([
    ['an empty payload', new Uint8Array(0)],
    ['an ASCII payload', encoder.encode('{"a":1}')],
    ['a non-ASCII payload', encoder.encode('{"name":"Zoë Ünal","note":"注文 🚚","€":"\u2028"}')],
    ['bytes that are not UTF-8', Uint8Array.from([0x00, 0xff, 0x2e, 0x80])],
  ])('signs %s so that jose verifies it against the public JWK', async (_name, payload) => {
    const header = signDetachedPayload({ privateKey: keys.privateKey, kid: 'k1', payload });
    const result = await verifyWithJwk(header, payload);
    expect(result.protectedHeader).toEqual({ alg: 'ES256', kid: 'k1', b64: false, crit: ['b64'] });
    expect(Buffer.from(result.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it.each([
    ['an empty text', ''],
    ['a non-ASCII text', '{"name":"Zoë Ünal","note":"注文 🚚","€":"\u2028"}'],
  ])('signs %s as its UTF-8 bytes', async (_name, text) => {
    const header = signDetachedPayload({ privateKey: keys.privateKey, kid: 'k1', payload: text });
    const result = await verifyWithJwk(header, encoder.encode(text));
    expect(new TextDecoder().decode(result.payload)).toBe(text);
  });

  it('writes the same protected header as jose, so receivers see no change', async () => {
    const payload = encoder.encode('{"a":1}');
    const ours = signDetachedPayload({ privateKey: keys.privateKey, kid: 'kid-é', payload });
    const jose = await new FlattenedSign(payload).setProtectedHeader({ alg: 'ES256', kid: 'kid-é', b64: false, crit: ['b64'] }).sign(keys.privateKey);
    expect(ours.split('.')[0]).toBe(jose.protected);
  });

  it('names the kid it was given, across more kids than it keeps headers for', async () => {
    const payload = encoder.encode('{}');
    const kids = Array.from({ length: 40 }, (_, i) => `kid-${i % 20}`);
    for (const kid of kids) {
      const result = await verifyWithJwk(signDetachedPayload({ privateKey: keys.privateKey, kid, payload }), payload);
      expect(result.protectedHeader?.kid).toBe(kid);
    }
  });

  it('accepts the private key as a WebCrypto CryptoKey', async () => {
    const payload = encoder.encode('[1,2]');
    const privateJwk = await exportJWK(keys.privateKey);
    const cryptoKey = await webcrypto.subtle.importKey('jwk', privateJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    await expect(verifyWithJwk(signDetachedPayload({ privateKey: cryptoKey, kid: 'k1', payload }), payload)).resolves.toBeDefined();
  });

  it('refuses a key that cannot make an ES256 signature', () => {
    const payload = encoder.encode('{}');
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => signDetachedPayload({ privateKey: p384, kid: 'k1', payload })).toThrow('ES256 needs a P-256 private key');
    expect(() => signDetachedPayload({ privateKey: rsa, kid: 'k1', payload })).toThrow('ES256 needs a P-256 private key');
    expect(() => signDetachedPayload({ privateKey: keys.publicKey, kid: 'k1', payload })).toThrow('ES256 needs a P-256 private key');
  });
});

/** A JSON value of nested objects and arrays, the same for the same seed. */
function randomJson(seed: number, depth: number): unknown {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const names = ['id', 'items', 'a', 'B', 'é', '\u{1F600}', 'orderId', 'order', 'x y', ''];
  const make = (level: number): unknown => {
    const kind = Math.floor(next() * (level >= depth ? 4 : 6));
    if (kind === 0) return null;
    if (kind === 1) return next() < 0.5;
    if (kind === 2) return (next() - 0.5) * 10 ** Math.floor(next() * 30 - 10);
    if (kind === 3) return names[Math.floor(next() * names.length)].repeat(Math.floor(next() * 3));
    if (kind === 4) return Array.from({ length: Math.floor(next() * 4) }, () => make(level + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [names[Math.floor(next() * names.length)], make(level + 1)]));
  };
  return make(0);
}
