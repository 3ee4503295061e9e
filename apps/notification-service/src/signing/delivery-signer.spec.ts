import { flattenedVerify, generateKeyPair, type KeyLike } from 'jose';
import { canonicalJson } from './detached-jws';
import { DeliverySigner } from './delivery-signer';
import type { SigningKeyService } from './signing-key.service';
import { verifyStandardWebhook } from './standard-webhooks';

const encoder = new TextEncoder();

async function setup() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const keys = { activeKey: jest.fn().mockResolvedValue({ kid: 'kid-1', privateKey }) };
  return { sut: new DeliverySigner(keys as unknown as SigningKeyService), keys, publicKey };
}

function verifyJws(header: string, payload: Uint8Array, key: KeyLike) {
  const [protectedHeader, , signature] = header.split('.');
  return flattenedVerify({ protected: protectedHeader, payload, signature }, key, { algorithms: ['ES256'] });
}

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const body = '{"orderId":"o-1","type":"order.state.changed","amount":10.5}';
const delivery = { messageId: 'msg_1', timestamp: 1700000000, body };

describe('DeliverySigner', () => {
  it('adds the Standard Webhooks signature when the registration has a secret', async () => {
    const { sut } = await setup();
    const headers = await sut.sign({ ...delivery, secret });
    expect(Object.keys(headers).sort()).toEqual(['webhook-signature', 'x-jws-signature']);
    expect(verifyStandardWebhook({ ...delivery, secret, signature: headers['webhook-signature'] })).toBe(true);
  });

  it('sends only the JWS without a secret', async () => {
    const { sut } = await setup();
    expect(Object.keys(await sut.sign({ ...delivery, secret: null }))).toEqual(['x-jws-signature']);
  });

  it('signs the canonical JSON of the body with the active kid', async () => {
    const { sut, publicKey } = await setup();
    const headers = await sut.sign({ ...delivery, secret: null });
    const result = await verifyJws(headers['x-jws-signature'], encoder.encode(canonicalJson(JSON.parse(body))), publicKey);
    expect(result.protectedHeader).toEqual({ alg: 'ES256', kid: 'kid-1', b64: false, crit: ['b64'] });
  });

  it('signs bodyValue when given instead of parsing the body', async () => {
    const { sut, publicKey } = await setup();
    const bodyValue = { z: 1, a: [1, 2] };
    const headers = await sut.sign({ ...delivery, body: JSON.stringify(bodyValue), bodyValue, secret: null });
    await expect(verifyJws(headers['x-jws-signature'], encoder.encode('{"a":[1,2],"z":1}'), publicKey)).resolves.toBeDefined();
  });

  it('signs a body marked canonical as is, and a receiver canonicalising it verifies the same bytes', async () => {
    const { sut, publicKey } = await setup();
    const canonicalBody = canonicalJson(JSON.parse(body));
    const headers = await sut.sign({ ...delivery, body: canonicalBody, canonical: true, secret: null });
    await expect(verifyJws(headers['x-jws-signature'], encoder.encode(canonicalBody), publicKey)).resolves.toBeDefined();
  });

  it('signs zero bytes for a delivery without a body', async () => {
    const { sut, publicKey } = await setup();
    const headers = await sut.sign({ ...delivery, body: '', secret });
    await expect(verifyJws(headers['x-jws-signature'], new Uint8Array(0), publicKey)).resolves.toBeDefined();
    expect(verifyStandardWebhook({ ...delivery, body: '', secret, signature: headers['webhook-signature'] })).toBe(true);
  });
});
