import { ConflictException, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { outsideTenantScope, SECRET_BOX, SecretBox } from '@ordercast/platform';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, type KeyLike } from 'jose';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { CLOCK, Clock, systemClock } from '../clock';
import { JWS_ALGORITHM } from './detached-jws';
import { SigningKeyEntity } from './signing-key.entity';
import { DEFAULT_JWKS_MAX_AGE_SECONDS, DEFAULT_KEY_GRACE_MS, DEFAULT_KEY_REFRESH_MS, SIGNING_OPTIONS, SigningOptions } from './signing-options';

export interface ActiveSigningKey {
  kid: string;
  privateKey: KeyLike;
}

export interface Rotation {
  kid: string;
  previousKid: string | null;
  /** When the new key starts signing: one JWKS cache lifetime from the rotation. */
  activatesAt: string;
}

interface KeyState {
  /** The published keys, newest first, pending ones included. */
  rows: SigningKeyEntity[];
  jwks: JWK[];
  loadedAt: number;
}

/**
 * Each retired key stays published for the grace period, so an operator calling rotate in
 * a loop could otherwise grow the public JWKS (and every instance's refresh) without bound.
 */
export const MAX_PUBLISHED_KEYS = 10;

const PUBLISHED = 'key.retired_at IS NULL OR key.expires_at > :now';

/** Serialises key creation and rotation across instances; the partial unique index is the backstop. */
async function lockKeys(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('ordercast.notifications.signing_keys'))`);
}

function publicJwk(row: SigningKeyEntity): JWK {
  // Field by field, so nothing but public parameters can ever reach the JWKS.
  const { kty, crv, x, y } = row.publicJwk;
  return { kty, crv, x, y, kid: row.kid, alg: row.algorithm, use: 'sig' };
}

/**
 * The key that signs at `now`: the most recently activated one. Rows come newest first; should
 * no key be active yet (clocks apart), the oldest published one signs, as it was published longest.
 */
export function signingRowAt(rows: readonly SigningKeyEntity[], now: Date): SigningKeyEntity | undefined {
  return rows.find((row) => row.activatesAt.getTime() <= now.getTime()) ?? rows.at(-1);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The service-wide JWS signing keys (one JWKS URL, as Verifone's). Signing happens thousands of
 * times a second, so the published keys are kept in memory (private keys imported on first use)
 * and re-read from the database in the background every `refreshMs`; a signer never waits for the
 * database once the keys are loaded. The JWKS is read fresh on every request (it is cached by its
 * readers), so every instance publishes a rotated-in key from the moment it was rotated in.
 *
 * Rotation is staged so that it never breaks a verifier: the new key is published at once but signs
 * only one JWKS cache lifetime (`Cache-Control: max-age`) later, when every verifier's cached copy
 * has been refreshed and holds it; the previous key signs until then and stays published for the
 * grace period after it.
 */
@Injectable()
export class SigningKeyService {
  private readonly logger = new Logger(SigningKeyService.name);
  private readonly graceMs: number;
  private readonly refreshMs: number;
  readonly jwksMaxAgeSeconds: number;
  private readonly clock: Clock;
  private state: KeyState | null = null;
  private pending: Promise<KeyState> | null = null;
  private loadsStarted = 0;
  private appliedLoad = 0;
  private readonly privateKeys = new Map<string, Promise<KeyLike>>();

  constructor(
    @InjectRepository(SigningKeyEntity) private readonly keys: Repository<SigningKeyEntity>,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Optional() @Inject(SIGNING_OPTIONS) options: SigningOptions | null = null,
    @Optional() @Inject(CLOCK) clock: Clock | null = null,
  ) {
    this.graceMs = options?.keyGraceMs ?? DEFAULT_KEY_GRACE_MS;
    this.refreshMs = options?.refreshMs ?? DEFAULT_KEY_REFRESH_MS;
    this.jwksMaxAgeSeconds = options?.jwksMaxAgeSeconds ?? DEFAULT_JWKS_MAX_AGE_SECONDS;
    this.clock = clock ?? systemClock;
    if (!Number.isSafeInteger(this.graceMs) || this.graceMs < 0) throw new Error('SIGNING_KEY_GRACE_MS must be a whole number of milliseconds');
    if (!Number.isSafeInteger(this.refreshMs) || this.refreshMs < 0) throw new Error('the signing key refresh interval must be a whole number of milliseconds');
    if (!Number.isSafeInteger(this.jwksMaxAgeSeconds) || this.jwksMaxAgeSeconds < 0) throw new Error('JWKS_MAX_AGE_SECONDS must be a whole number of seconds');
  }

  /** The key deliveries are signed with now; created on first use. */
  async activeKey(): Promise<ActiveSigningKey> {
    const { rows } = await this.current();
    const row = signingRowAt(rows, this.clock.now());
    if (!row) throw new Error('no signing key is published');
    return { kid: row.kid, privateKey: await this.privateKey(row) };
  }

  /** Every published key: the signing one, a rotated-in one not signing yet, and the retired ones in their grace period. */
  async jwks(): Promise<JSONWebKeySet> {
    return { keys: (await this.refreshShared()).jwks };
  }

  /**
   * Publishes a new key that signs one JWKS cache lifetime from now; the current key signs until
   * then and stays published for the grace period after. 409 while a rotated-in key is still
   * waiting to sign: rotating it away before it ever signed would restart the wait for nothing.
   *
   * The keys are service-wide, not a merchant's: this runs as the service, outside the caller's
   * tenant scope (the tenant role has no access to them).
   */
  rotate(): Promise<Rotation> {
    return outsideTenantScope(() => this.rotateKeys());
  }

  private async rotateKeys(): Promise<Rotation> {
    const now = this.clock.now();
    const activatesAt = new Date(now.getTime() + this.jwksMaxAgeSeconds * 1000);
    const rotation = await this.keys.manager.transaction(async (manager): Promise<Rotation> => {
      await lockKeys(manager);
      const published = await manager.createQueryBuilder(SigningKeyEntity, 'key')
        .select('count(*)::int', 'count').addSelect('min(key.expires_at)', 'firstExpiry')
        .where(PUBLISHED, { now }).getRawOne<{ count: number; firstExpiry: Date | null }>();
      if (published && published.count >= MAX_PUBLISHED_KEYS) {
        const until = published.firstExpiry ? ` until ${published.firstExpiry.toISOString()}` : '';
        throw new ConflictException(`${published.count} signing keys are still published; the next rotation is possible${until}, when the oldest retired key expires`);
      }
      const previous = await manager.findOneBy(SigningKeyEntity, { retiredAt: IsNull() });
      if (previous && previous.activatesAt.getTime() > now.getTime()) {
        throw new ConflictException(`signing key ${previous.kid} was rotated in and starts signing at ${previous.activatesAt.toISOString()}; rotate again after that`);
      }
      if (previous) {
        await manager.update(SigningKeyEntity, { kid: previous.kid }, { retiredAt: activatesAt, expiresAt: new Date(activatesAt.getTime() + this.graceMs) });
      }
      const kid = await this.createKey(manager, activatesAt);
      return { kid, previousKid: previous?.kid ?? null, activatesAt: activatesAt.toISOString() };
    });
    this.logger.log(`signing key ${rotation.kid} published, signing from ${rotation.activatesAt} instead of ${rotation.previousKid ?? '(none)'} (rotated by an operator)`);
    await this.refresh();
    return rotation;
  }

  private async current(): Promise<KeyState> {
    const state = this.state;
    if (!state) return this.refreshShared();
    if (Date.now() - state.loadedAt >= this.refreshMs) {
      this.refreshShared().catch((error: unknown) => {
        this.logger.error(`could not refresh the signing keys, still signing with the keys loaded before: ${errorMessage(error)}`);
      });
    }
    return state;
  }

  /** Callers arriving while a read is under way share it. */
  private refreshShared(): Promise<KeyState> {
    this.pending ??= this.refresh().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async refresh(): Promise<KeyState> {
    const sequence = ++this.loadsStarted;
    const loaded = await this.load();
    // A read that began before a rotation finished must not replace what the rotation loaded.
    if (sequence < this.appliedLoad && this.state) return this.state;
    this.state = loaded;
    this.appliedLoad = sequence;
    return loaded;
  }

  private async load(): Promise<KeyState> {
    let rows = await this.publishedRows();
    if (!rows.some((row) => row.retiredAt === null)) {
      await this.keys.manager.transaction(async (manager) => {
        await lockKeys(manager);
        // The first key has no verifier to wait for: it signs at once.
        if (!(await manager.existsBy(SigningKeyEntity, { retiredAt: IsNull() }))) await this.createKey(manager, this.clock.now());
      });
      rows = await this.publishedRows();
    }
    const published = new Set(rows.map((row) => row.kid));
    for (const kid of this.privateKeys.keys()) if (!published.has(kid)) this.privateKeys.delete(kid);
    return { rows, jwks: rows.map(publicJwk), loadedAt: Date.now() };
  }

  /** Newest first: the rotated-in key, the signing one, then the retired ones. */
  private publishedRows(): Promise<SigningKeyEntity[]> {
    return this.keys.createQueryBuilder('key').where(PUBLISHED, { now: this.clock.now() }).orderBy('key.activates_at', 'DESC').getMany();
  }

  private async createKey(manager: EntityManager, activatesAt: Date): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(JWS_ALGORITHM, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    await manager.insert(SigningKeyEntity, {
      kid,
      algorithm: JWS_ALGORITHM,
      publicJwk,
      privateJwkEncrypted: this.box.encrypt(JSON.stringify(await exportJWK(privateKey)), 'signing-keys'),
      activatesAt,
    });
    this.logger.log(`signing key ${kid} created, signing from ${activatesAt.toISOString()}`);
    return kid;
  }

  private privateKey(row: SigningKeyEntity): Promise<KeyLike> {
    let key = this.privateKeys.get(row.kid);
    if (!key) {
      key = this.importPrivateKey(row);
      key.catch(() => this.privateKeys.delete(row.kid));
      this.privateKeys.set(row.kid, key);
    }
    return key;
  }

  private async importPrivateKey(row: SigningKeyEntity): Promise<KeyLike> {
    const jwk = JSON.parse(this.box.decrypt(row.privateJwkEncrypted, 'signing-keys')) as JWK;
    const key = await importJWK(jwk, row.algorithm);
    if (key instanceof Uint8Array) throw new Error(`signing key ${row.kid} is not an asymmetric key`);
    return key;
  }
}
