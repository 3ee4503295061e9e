import { exportJWK, flattenedVerify, generateKeyPair, type KeyLike } from 'jose';
import { canonicalJson, signDetachedJws } from './detached-jws';

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

  it('produces <protected>..<signature> with b64=false as a critical header', async () => {
    const header = await signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: { a: 1 } });
    expect(header).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
    const decoded = JSON.parse(Buffer.from(header.split('.')[0], 'base64url').toString('utf8'));
    expect(decoded).toEqual({ alg: 'ES256', kid: 'k1', b64: false, crit: ['b64'] });
  });

  it('verifies against the body as sent, whatever its key order and whitespace', async () => {
    const value = { orderId: 'o-1', amount: 12.5, nested: { z: 1, a: [true, null] } };
    const header = await signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: value });
    const sentBody = JSON.stringify(value, null, 2);
    const result = await verify(header, sentBody, keys.publicKey);
    expect(result.protectedHeader).toMatchObject({ kid: 'k1', b64: false });
    expect(new TextDecoder().decode(result.payload)).toBe('{"amount":12.5,"nested":{"a":[true,null],"z":1},"orderId":"o-1"}');
  });

  it('accepts the private key as a JWK', async () => {
    const jwk = await exportJWK(keys.privateKey);
    const header = await signDetachedJws({ privateKey: jwk, kid: 'k1', payload: [1, 2] });
    await expect(verify(header, '[1,2]', keys.publicKey)).resolves.toBeDefined();
  });

  it('fails verification for a tampered body', async () => {
    const header = await signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: { amount: 10 } });
    await expect(verify(header, '{"amount":11}', keys.publicKey)).rejects.toThrow('signature verification failed');
  });

  it('fails verification with another key', async () => {
    const other = await generateKeyPair('ES256');
    const header = await signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: { amount: 10 } });
    await expect(verify(header, '{"amount":10}', other.publicKey)).rejects.toThrow('signature verification failed');
  });

  it('refuses a payload without a JSON representation', async () => {
    await expect(signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: undefined })).rejects.toThrow('no JSON representation');
    await expect(signDetachedJws({ privateKey: keys.privateKey, kid: 'k1', payload: { n: Number.NaN } })).rejects.toThrow('NaN');
  });
});
