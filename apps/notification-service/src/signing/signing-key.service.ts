import { ConflictException, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { outsideTenantScope, SECRET_BOX, SecretBox } from '@ordercast/platform';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, type KeyLike } from 'jose';
import { EntityManager, IsNull, Repository } from 'typeorm';
import { JWS_ALGORITHM } from './detached-jws';
import { SigningKeyEntity } from './signing-key.entity';
import { DEFAULT_KEY_GRACE_MS, DEFAULT_KEY_REFRESH_MS, SIGNING_OPTIONS, SigningOptions } from './signing-options';

export interface ActiveSigningKey {
  kid: string;
  privateKey: KeyLike;
}

export interface Rotation {
  kid: string;
  previousKid: string | null;
}

interface KeyState {
  active: ActiveSigningKey;
  jwks: JWK[];
  loadedAt: number;
}

/**
 * Each retired key stays published for the grace period, so an operator calling rotate in
 * a loop could otherwise grow the public JWKS (and every instance's refresh) without bound.
 */
export const MAX_PUBLISHED_KEYS = 10;

const PUBLISHED = 'key.retired_at IS NULL OR key.expires_at > now()';

/** Serialises key creation and rotation across instances; the partial unique index is the backstop. */
async function lockKeys(manager: EntityManager): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtext('ordercast.notifications.signing_keys'))`);
}

function publicJwk(row: SigningKeyEntity): JWK {
  // Field by field, so nothing but public parameters can ever reach the JWKS.
  const { kty, crv, x, y } = row.publicJwk;
  return { kty, crv, x, y, kid: row.kid, alg: row.algorithm, use: 'sig' };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The service-wide JWS signing keys (one JWKS URL, as Verifone's). Signing happens thousands of
 * times a second, so the active key is kept imported in memory and re-read from the database in
 * the background every `refreshMs`; a signer never waits for the database once a key is loaded.
 */
@Injectable()
export class SigningKeyService {
  private readonly logger = new Logger(SigningKeyService.name);
  private readonly graceMs: number;
  private readonly refreshMs: number;
  private state: KeyState | null = null;
  private pending: Promise<KeyState> | null = null;
  private loadsStarted = 0;
  private appliedLoad = 0;

  constructor(
    @InjectRepository(SigningKeyEntity) private readonly keys: Repository<SigningKeyEntity>,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Optional() @Inject(SIGNING_OPTIONS) options: SigningOptions | null = null,
  ) {
    this.graceMs = options?.keyGraceMs ?? DEFAULT_KEY_GRACE_MS;
    this.refreshMs = options?.refreshMs ?? DEFAULT_KEY_REFRESH_MS;
    if (!Number.isSafeInteger(this.graceMs) || this.graceMs < 0) throw new Error('SIGNING_KEY_GRACE_MS must be a whole number of milliseconds');
    if (!Number.isSafeInteger(this.refreshMs) || this.refreshMs < 0) throw new Error('the signing key refresh interval must be a whole number of milliseconds');
  }

  /** The key deliveries are signed with; created on first use. */
  async activeKey(): Promise<ActiveSigningKey> {
    return (await this.current()).active;
  }

  /** The active key and the retired keys still in their grace period. */
  async jwks(): Promise<JSONWebKeySet> {
    return { keys: (await this.current()).jwks };
  }

  /**
   * Retires the active key (still published for the grace period) and activates a new one. The
   * keys are service-wide, not a merchant's: this runs as the service, outside the caller's
   * tenant scope (the tenant role has no access to them).
   */
  rotate(): Promise<Rotation> {
    return outsideTenantScope(() => this.rotateKeys());
  }

  private async rotateKeys(): Promise<Rotation> {
    const rotation = await this.keys.manager.transaction(async (manager): Promise<Rotation> => {
      await lockKeys(manager);
      const published = await manager.createQueryBuilder(SigningKeyEntity, 'key')
        .select('count(*)::int', 'count').addSelect('min(key.expires_at)', 'firstExpiry')
        .where(PUBLISHED).getRawOne<{ count: number; firstExpiry: Date | null }>();
      if (published && published.count >= MAX_PUBLISHED_KEYS) {
        const until = published.firstExpiry ? ` until ${published.firstExpiry.toISOString()}` : '';
        throw new ConflictException(`${published.count} signing keys are still published; the next rotation is possible${until}, when the oldest retired key expires`);
      }
      const previous = await manager.findOneBy(SigningKeyEntity, { retiredAt: IsNull() });
      if (previous) {
        await manager.query(
          `UPDATE "notifications"."signing_keys" SET "retired_at" = now(), "expires_at" = now() + $2 * interval '1 millisecond' WHERE "kid" = $1`,
          [previous.kid, this.graceMs],
        );
      }
      const kid = await this.createKey(manager);
      return { kid, previousKid: previous?.kid ?? null };
    });
    this.logger.log(`signing key ${rotation.previousKid ?? '(none)'} retired, ${rotation.kid} active (rotated by an operator)`);
    await this.refresh();
    return rotation;
  }

  private async current(): Promise<KeyState> {
    const state = this.state;
    if (!state) return this.refreshShared();
    if (Date.now() - state.loadedAt >= this.refreshMs) {
      this.refreshShared().catch((error: unknown) => {
        this.logger.error(`could not refresh the signing keys, still signing with ${state.active.kid}: ${errorMessage(error)}`);
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
        if (!(await manager.existsBy(SigningKeyEntity, { retiredAt: IsNull() }))) await this.createKey(manager);
      });
      rows = await this.publishedRows();
    }
    const activeRow = rows.find((row) => row.retiredAt === null);
    if (!activeRow) throw new Error('no active signing key after creating one');
    const known = this.state?.active;
    const privateKey = known?.kid === activeRow.kid ? known.privateKey : await this.importPrivateKey(activeRow);
    return { active: { kid: activeRow.kid, privateKey }, jwks: rows.map(publicJwk), loadedAt: Date.now() };
  }

  private publishedRows(): Promise<SigningKeyEntity[]> {
    return this.keys.createQueryBuilder('key').where(PUBLISHED).orderBy('key.retired_at', 'DESC', 'NULLS FIRST').getMany();
  }

  private async createKey(manager: EntityManager): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(JWS_ALGORITHM, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    await manager.insert(SigningKeyEntity, {
      kid,
      algorithm: JWS_ALGORITHM,
      publicJwk,
      privateJwkEncrypted: this.box.encrypt(JSON.stringify(await exportJWK(privateKey))),
    });
    this.logger.log(`signing key ${kid} created`);
    return kid;
  }

  private async importPrivateKey(row: SigningKeyEntity): Promise<KeyLike> {
    const jwk = JSON.parse(this.box.decrypt(row.privateJwkEncrypted)) as JWK;
    const key = await importJWK(jwk, row.algorithm);
    if (key instanceof Uint8Array) throw new Error(`signing key ${row.kid} is not an asymmetric key`);
    return key;
  }
}
