import { INestApplication } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import { SECRET_BOX, SecretBox } from '@ordercast/platform';
import { createLocalJWKSet, flattenedVerify, type JSONWebKeySet } from 'jose';
import canonicalize from 'canonicalize';
import request from 'supertest';
import { DataSource, IsNull, Repository } from 'typeorm';
import {
  DeliverySigner, MAX_PUBLISHED_KEYS, SIGNING_ENTITIES, SIGNING_MIGRATIONS, SigningKeyEntity, SigningKeyService, SigningModule,
} from '../src/signing';
import { TEST_ENCRYPTION_KEY } from '../../../test/support/env';
import { CLOCK, Clock } from '../src/clock';
import { FeatureApp, startFeatureApp } from './feature-app';

const BASE = '/api/v0/checkout/notifications';
const box = new SecretBox(TEST_ENCRYPTION_KEY);
const auth = { 'X-Merchant': 'merchant-a', Authorization: 'Bearer token-of-merchant-a' };
const operator = { Authorization: 'Bearer operator-token-of-signing' };

/** What a receiver does, written against jose alone: canonicalize the body, pick the key by kid, verify. */
async function receiverVerifies(jwsHeader: string, body: string, jwks: JSONWebKeySet): Promise<string | undefined> {
  const [protectedHeader, detached, signature] = jwsHeader.split('.');
  if (detached !== '') throw new Error('payload is not detached');
  const payload = new TextEncoder().encode(canonicalize(JSON.parse(body)));
  const result = await flattenedVerify({ protected: protectedHeader, payload, signature }, createLocalJWKSet(jwks), { algorithms: ['ES256'] });
  return result.protectedHeader?.kid;
}

/** The service's clock, moved on by the tests instead of waiting: rotation stages and key expiry follow it. */
class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/**
 * A receiver that verifies as a careful production one would: it fetches the JWKS only when its
 * copy is older than the `Cache-Control: max-age` it was served with (on the test clock), and never
 * refetches on an unknown kid. A key that signs before such a receiver can have it fails here.
 */
class CachingVerifier {
  fetches = 0;
  private cached: { jwks: JSONWebKeySet; until: number } | null = null;

  constructor(private readonly fetch: () => Promise<request.Response>, private readonly clock: Clock) {}

  async verify(jwsHeader: string, body: string): Promise<string | undefined> {
    const now = this.clock.now().getTime();
    if (!this.cached || now >= this.cached.until) {
      const response = await this.fetch();
      const maxAge = /max-age=(\d+)/.exec(String(response.headers['cache-control']));
      if (!maxAge) throw new Error(`the JWKS has no max-age: ${String(response.headers['cache-control'])}`);
      this.cached = { jwks: response.body, until: now + Number(maxAge[1]) * 1000 };
      this.fetches += 1;
    }
    return receiverVerifies(jwsHeader, body, this.cached.jwks);
  }
}

const JWKS_MAX_AGE_SECONDS = 300;

describe('signing (real PostgreSQL)', () => {
  let feature: FeatureApp;
  let app: INestApplication;
  let signer: DeliverySigner;
  let repository: Repository<SigningKeyEntity>;
  let dataSource: DataSource;
  const clock = new TestClock();

  const body = JSON.stringify({ id: 'msg_1', type: 'order.state.changed', orderId: 'o-1', order: { total: 99.5, state: { currentStatus: 'completed' } } });
  const fetchJwks = async (): Promise<JSONWebKeySet> => (await request(app.getHttpServer()).get(`${BASE}/.well-known/jwks.json`).expect(200)).body;

  beforeAll(async () => {
    feature = await startFeatureApp({
      feature: SigningModule.register({ keyGraceMs: 60 * 60 * 1000, jwksMaxAgeSeconds: JWKS_MAX_AGE_SECONDS }),
      entities: SIGNING_ENTITIES,
      migrations: SIGNING_MIGRATIONS,
      tokens: { 'token-of-merchant-a': 'merchant-a' },
      adminTokens: ['operator-token-of-signing'],
      globals: [{ provide: SECRET_BOX, useValue: box }, { provide: CLOCK, useValue: clock }],
    });
    ({ app, dataSource } = feature);
    signer = app.get(DeliverySigner);
    repository = app.get(getRepositoryToken(SigningKeyEntity));
  });

  afterAll(() => feature?.close());

  it('serves the JWKS without authentication: one public ES256 key, cacheable', async () => {
    const response = await request(app.getHttpServer()).get(`${BASE}/.well-known/jwks.json`).expect(200);
    expect(response.headers['cache-control']).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    expect(response.body.keys).toHaveLength(1);
    const [key] = response.body.keys;
    expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
  });

  it('rotates only for an operator token (a merchant token is refused), and creates a secret only for a merchant', async () => {
    await request(app.getHttpServer()).post(`${BASE}/signing-keys/rotate`).set('X-Merchant', 'merchant-a').expect(401);
    await request(app.getHttpServer()).post(`${BASE}/signing-keys/rotate`).set(auth).expect(403);
    await request(app.getHttpServer()).post(`${BASE}/signing-keys/rotate`).set({ Authorization: 'Bearer operator-token-of-signing-not' }).expect(401);
    await request(app.getHttpServer()).post(`${BASE}/secrets`).expect(400);
    await request(app.getHttpServer()).post(`${BASE}/secrets`).set({ 'X-Merchant': 'merchant-b', Authorization: 'Bearer token-of-merchant-a' }).expect(403);
  });

  it('creates a Standard Webhooks secret, shown once and never cached', async () => {
    const response = await request(app.getHttpServer()).post(`${BASE}/secrets`).set(auth).expect(201);
    expect(response.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('signs deliveries so that a receiver verifies them against the published JWKS', async () => {
    const headers = await signer.sign({ messageId: 'msg_1', timestamp: 1700000000, body, secret: null });
    const jwks = await fetchJwks();
    await expect(receiverVerifies(headers['x-jws-signature'], body, jwks)).resolves.toBe(jwks.keys[0].kid);
    // The receiver verifies the body as it arrived, even re-formatted by a proxy.
    await expect(receiverVerifies(headers['x-jws-signature'], JSON.stringify(JSON.parse(body), null, 2), jwks)).resolves.toBeDefined();
    const tampered = body.replace('99.5', '9.5');
    await expect(receiverVerifies(headers['x-jws-signature'], tampered, jwks)).rejects.toThrow('signature verification failed');
  });

  it('rotates in stages: the new key is published at once, signs one max-age later, and the old one stays for the grace period', async () => {
    const oldKid = (await fetchJwks()).keys[0].kid;
    const before = await signer.sign({ messageId: 'msg_2', timestamp: 1700000001, body, secret: null });

    const rotatedAt = clock.now().getTime();
    const rotation = await request(app.getHttpServer()).post(`${BASE}/signing-keys/rotate`).set(operator).expect(201);
    expect(rotation.body).toEqual({ kid: expect.any(String), previousKid: oldKid, activatesAt: expect.any(String) });
    expect(rotation.body.kid).not.toBe(oldKid);
    const activatesAt = Date.parse(rotation.body.activatesAt);
    expect(activatesAt - rotatedAt).toBeGreaterThanOrEqual(JWKS_MAX_AGE_SECONDS * 1000);

    // Published, not signing yet; a second rotation would throw the waiting key away: refused.
    expect((await fetchJwks()).keys.map((key) => key.kid)).toEqual([rotation.body.kid, oldKid]);
    const during = await signer.sign({ messageId: 'msg_3', timestamp: 1700000002, body, secret: null });
    await expect(receiverVerifies(during['x-jws-signature'], body, await fetchJwks())).resolves.toBe(oldKid);
    const again = await request(app.getHttpServer()).post(`${BASE}/signing-keys/rotate`).set(operator).expect(409);
    expect(again.body.message).toContain(`starts signing at ${rotation.body.activatesAt}`);

    clock.advance(activatesAt - clock.now().getTime());
    const after = await signer.sign({ messageId: 'msg_4', timestamp: 1700000003, body, secret: null });
    const jwks = await fetchJwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual([rotation.body.kid, oldKid]);
    await expect(receiverVerifies(after['x-jws-signature'], body, jwks)).resolves.toBe(rotation.body.kid);
    await expect(receiverVerifies(before['x-jws-signature'], body, jwks)).resolves.toBe(oldKid);

    const retired = await repository.findOneByOrFail({ kid: oldKid });
    expect(retired.retiredAt?.toISOString()).toBe(rotation.body.activatesAt);
    expect(retired.expiresAt!.getTime() - retired.retiredAt!.getTime()).toBe(60 * 60 * 1000);
  });

  it('never fails a verifier that caches the JWKS for its advertised max-age, across a rotation', async () => {
    const verifier = new CachingVerifier(() => request(app.getHttpServer()).get(`${BASE}/.well-known/jwks.json`).expect(200), clock);
    const stepMs = 20_000;
    const rotateAtMs = 120_000;
    const kids: string[] = [];
    const failures: string[] = [];
    let rotated: string | null = null;
    // A delivery every 20 s for 15 minutes; the rotation comes while the verifier's copy is two minutes old.
    for (let elapsed = 0; elapsed <= 900_000; elapsed += stepMs) {
      if (elapsed === rotateAtMs) rotated = (await request(app.getHttpServer()).post(`${BASE}/signing-keys/rotate`).set(operator).expect(201)).body.kid;
      const delivery = JSON.stringify({ id: `msg_${elapsed}`, type: 'order.state.changed', orderId: 'o-2', order: { total: elapsed } });
      const headers = await signer.sign({ messageId: `msg_${elapsed}`, timestamp: 1700000000 + elapsed / 1000, body: delivery, secret: null });
      try {
        const kid = await verifier.verify(headers['x-jws-signature'], delivery);
        if (kid && kids.at(-1) !== kid) kids.push(kid);
      } catch (error) {
        failures.push(`${elapsed / 1000} s: ${(error as Error).message}`);
      }
      clock.advance(stepMs);
    }
    expect(failures).toEqual([]);
    // The rotation did happen within the run: the verifier met the old key, then the new one.
    expect(kids).toHaveLength(2);
    expect(kids[1]).toBe(rotated);
    expect(verifier.fetches).toBeGreaterThanOrEqual(3);
  });

  it('stores private keys encrypted: no JWK "d" member in the table', async () => {
    const rows: Array<{ public_jwk: object; private_jwk_encrypted: string }> =
      await dataSource.query(`SELECT public_jwk, private_jwk_encrypted FROM notifications.signing_keys`);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      expect(row.public_jwk).not.toHaveProperty('d');
      expect(row.private_jwk_encrypted).toMatch(/^ocs1\./);
      expect(row.private_jwk_encrypted).not.toContain('"d"');
      expect(JSON.parse(box.decrypt(row.private_jwk_encrypted, 'signing-keys'))).toHaveProperty('d');
    }
  });

  describe('several instances on one database', () => {
    // Rotations of these instances take effect at once (a max-age of 0): they are about sharing keys, not staging.
    const instance = (refreshMs = 30_000) => new SigningKeyService(repository, box, { keyGraceMs: 60 * 60 * 1000, refreshMs, jwksMaxAgeSeconds: 0 }, clock);
    const activeRows = () => repository.countBy({ retiredAt: IsNull() });

    beforeEach(() => repository.clear());

    it('instances starting at once share one new key', async () => {
      for (let round = 0; round < 5; round += 1) {
        await repository.clear();
        const keys = await Promise.all(Array.from({ length: 6 }, () => instance().activeKey()));
        expect(new Set(keys.map((key) => key.kid)).size).toBe(1);
        expect(await repository.count()).toBe(1);
      }
    });

    it('concurrent rotations leave exactly one active key', async () => {
      const [a, b] = [instance(), instance()];
      await a.activeKey();
      const rotations = await Promise.all([a.rotate(), b.rotate()]);
      expect(new Set(rotations.map((rotation) => rotation.kid)).size).toBe(2);
      expect(await activeRows()).toBe(1);
    });

    it("an instance picks up another instance's rotation at its next refresh", async () => {
      const [a, b] = [instance(), instance(0)];
      const first = (await b.activeKey()).kid;
      const { kid } = await a.rotate();
      let seen = first;
      for (let tries = 0; seen !== kid && tries < 100; tries += 1) {
        seen = (await b.activeKey()).kid;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(seen).toBe(kid);
      expect((await b.jwks()).keys.map((key) => key.kid)).toEqual([kid, first]);
    });

    it('drops a retired key from the JWKS once its grace period is over', async () => {
      const a = instance();
      const { kid } = await a.rotate();
      const second = await a.rotate();
      expect((await instance().jwks()).keys.map((key) => key.kid)).toEqual(expect.arrayContaining([second.kid, kid]));
      // Every retired key expires (a background refresh of an earlier test's instance may have added one).
      await dataSource.query(`UPDATE notifications.signing_keys SET expires_at = now() - interval '1 second' WHERE retired_at IS NOT NULL`);
      expect((await instance().jwks()).keys.map((key) => key.kid)).toEqual([second.kid]);
    });

    it(`refuses a rotation with 409 while ${MAX_PUBLISHED_KEYS} keys are published`, async () => {
      await instance().activeKey();
      let response: request.Response;
      let rotations = 0;
      do {
        response = await request(app.getHttpServer()).post(`${BASE}/signing-keys/rotate`).set(operator);
        if (response.status === 201) rotations += 1;
        // Past the rotated-in key's start, so the next rotation is not refused for waiting on it.
        clock.advance(JWKS_MAX_AGE_SECONDS * 1000);
      } while (response.status === 201 && rotations <= MAX_PUBLISHED_KEYS);
      expect(rotations).toBe(MAX_PUBLISHED_KEYS - 1);
      expect(response.status).toBe(409);
      expect(response.body.message).toContain(`${MAX_PUBLISHED_KEYS} signing keys are still published`);
      expect((await instance().jwks()).keys).toHaveLength(MAX_PUBLISHED_KEYS);
    });
  });
});
