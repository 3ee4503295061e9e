import canonicalize from 'canonicalize';
import { createLocalJWKSet, decodeProtectedHeader, flattenedVerify, type JSONWebKeySet } from 'jose';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { ALPHA, NOTIFICATIONS, OPERATOR, startSystem, System } from '../support/system';
import type { ReceivedRequest } from '../support/webhook-sink';

jest.setTimeout(120_000);

/**
 * What a receiver does, written from the specifications alone (node:crypto for Standard Webhooks,
 * jose and an independent RFC 8785 implementation for the detached JWS), against what the sink
 * received from the running system.
 */
function standardWebhookVerifies(secret: string, received: ReceivedRequest, body = received.body): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${received.headers['webhook-id']}.${received.headers['webhook-timestamp']}.${body}`).digest('base64');
  return String(received.headers['webhook-signature'] ?? '').split(' ').includes(`v1,${expected}`);
}

/** Resolves with the key id when the detached JWS verifies against the JWKS; rejects otherwise. */
async function jwsVerifies(received: ReceivedRequest, jwks: JSONWebKeySet, body = received.body): Promise<string | undefined> {
  const [protectedHeader, detachedPayload, signature] = String(received.headers['x-jws-signature']).split('.');
  if (detachedPayload !== '') throw new Error('the JWS payload is not detached');
  const payload = new TextEncoder().encode(canonicalize(JSON.parse(body)));
  const { protectedHeader: header } = await flattenedVerify({ protected: protectedHeader, payload, signature }, createLocalJWKSet(jwks), { algorithms: ['ES256'] });
  return header?.kid;
}

describe('delivery signatures (Standard Webhooks HMAC and detached JWS) through the kafka bus', () => {
  let system: System;

  beforeAll(async () => {
    // A JWKS cache lifetime of one second: a rotated-in key starts signing one second after the rotation.
    system = await startSystem('kafka', { JWKS_MAX_AGE_SECONDS: '1' });
  });

  afterAll(async () => {
    await system?.close();
  });

  /** The JWKS as any receiver fetches it: plain HTTP, no merchant, no token. */
  const fetchJwks = async (): Promise<JSONWebKeySet> => {
    const response = await request(system.notificationsHttp).get(`${NOTIFICATIONS}/.well-known/jwks.json`).expect(200);
    return response.body as JSONWebKeySet;
  };

  const newSecret = async (): Promise<string> => {
    const response = await request(system.notificationsHttp).post(`${NOTIFICATIONS}/secrets`).set(ALPHA).expect(201);
    expect(response.headers['cache-control']).toBe('no-store');
    return response.body.secret as string;
  };

  it('generates a Standard Webhooks secret that is shown once: each call gives a new one', async () => {
    const [first, second] = [await newSecret(), await newSecret()];
    expect(first).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(first.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(second).not.toBe(first);
    await request(system.notificationsHttp).post(`${NOTIFICATIONS}/secrets`).expect(400);
  });

  it('signs a delivery with both signatures, which verify independently, and a tampered body fails both', async () => {
    const secret = await newSecret();
    const order = await system.createOrder({ notifications: [{ url: system.sink.url('/signed'), scope: { state: ['processing'] }, secret }] });
    expect(JSON.stringify(order.notifications)).not.toContain(secret.slice('whsec_'.length));
    await system.setState(order.id, 'processing');
    const [received] = await system.sink.waitFor(1, 30_000, '/signed');

    expect(received.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(received.headers['webhook-id']).toBe(JSON.parse(received.body).id);
    expect(Math.abs(Number(received.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(300);
    expect(standardWebhookVerifies(secret, received)).toBe(true);

    const jwks = await fetchJwks();
    expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
    expect(jwks.keys.every((key) => key.kty === 'EC' && key.crv === 'P-256' && key.d === undefined)).toBe(true);
    const header = decodeProtectedHeader(String(received.headers['x-jws-signature']));
    expect(header).toMatchObject({ alg: 'ES256', b64: false, crit: ['b64'] });
    expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
    await expect(jwsVerifies(received, jwks)).resolves.toBe(header.kid);

    const tampered = JSON.stringify({ ...JSON.parse(received.body), scope: 'state.completed' });
    expect(standardWebhookVerifies(secret, received, tampered)).toBe(false);
    await expect(jwsVerifies(received, jwks, tampered)).rejects.toThrow(/signature verification failed/);
    expect(standardWebhookVerifies(await newSecret(), received)).toBe(false);

    const [event] = await system.eventsOf(order.id, { until: (e) => e.status === 'succeeded' });
    expect(JSON.stringify(event)).not.toContain(secret.slice('whsec_'.length));
  });

  it('sends the JWS but no webhook-signature for a registration without a secret', async () => {
    const order = await system.createOrder({ notifications: [{ url: system.sink.url('/unsigned'), scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const [received] = await system.sink.waitFor(1, 30_000, '/unsigned');
    expect(received.headers['webhook-signature']).toBeUndefined();
    await expect(jwsVerifies(received, await fetchJwks())).resolves.toEqual(expect.any(String));
  });

  it('after a rotation publishes the new key at once, signs with it one JWKS max-age later, and keeps the old key published', async () => {
    const path = '/rotation';
    const order = await system.createOrder({ notifications: [{ url: system.sink.url(path), scope: { state: ['processing'] } }] });
    await system.setState(order.id, 'processing');
    const [before] = await system.sink.waitFor(1, 30_000, path);
    const oldKid = decodeProtectedHeader(String(before.headers['x-jws-signature'])).kid;

    const rotation = await request(system.notificationsHttp).post(`${NOTIFICATIONS}/signing-keys/rotate`).set(OPERATOR).expect(201);
    expect(rotation.body).toEqual({ kid: expect.any(String), previousKid: oldKid, activatesAt: expect.any(String) });
    expect(rotation.body.kid).not.toBe(oldKid);
    const published = await request(system.notificationsHttp).get(`${NOTIFICATIONS}/.well-known/jwks.json`).expect(200);
    expect(published.headers['cache-control']).toBe('public, max-age=1');
    expect(published.body.keys.map((key: { kid: string }) => key.kid)).toEqual(expect.arrayContaining([oldKid, rotation.body.kid]));

    // Manual sends until one is signed with the new key; each verifies against the JWKS of its moment.
    const deadline = Date.now() + 30_000;
    let after = before;
    for (let sent = 1; decodeProtectedHeader(String(after.headers['x-jws-signature'])).kid !== rotation.body.kid; sent += 1) {
      if (Date.now() > deadline) throw new Error(`no delivery signed with ${rotation.body.kid} after ${sent - 1} sends`);
      await request(system.notificationsHttp).post(`${NOTIFICATIONS}/orders/${order.id}/trigger`).set(ALPHA).send({}).expect(202);
      after = (await system.sink.waitFor(sent + 1, 30_000, path))[sent];
      await expect(jwsVerifies(after, await fetchJwks())).resolves.toEqual(expect.any(String));
    }
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(rotation.body.activatesAt));

    const jwks = await fetchJwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, rotation.body.kid]));
    await expect(jwsVerifies(after, jwks)).resolves.toBe(rotation.body.kid);
    await expect(jwsVerifies(before, jwks)).resolves.toBe(oldKid);
    await expect(jwsVerifies(before, { keys: jwks.keys.filter((key) => key.kid === rotation.body.kid) })).rejects.toThrow();
  });
});
