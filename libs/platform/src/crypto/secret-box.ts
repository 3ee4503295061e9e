import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * What a sealed value is for. Each purpose seals with a key of its own, derived from the
 * `ENCRYPTION_KEY` by HKDF, so a value sealed for one use never opens as another: a signing
 * key's ciphertext copied into a header value fails to decrypt instead of being sent.
 */
export type SecretPurpose =
  /** Registration and subscription header values, at rest and inside change events on the bus. */
  | 'header-values'
  /** Standard Webhooks secrets (`whsec_…`) of registrations and subscriptions, at rest and on the bus. */
  | 'signing-secrets'
  /** The private JWKs of the JWS signing keys. */
  | 'signing-keys'
  /** Credential query parameters of target URLs (`?token=`, `?api_key=`, ...). */
  | 'url-credentials'
  /** Responses kept for Idempotency-Key replays: they carry customer data, and `POST /secrets` a secret shown once. */
  | 'idempotent-responses'
  /** Target credentials of registrations and subscriptions (OAuth2 client secret, mTLS private key, Kafka SASL password), at rest and on the bus. */
  | 'target-credentials';

/**
 * `ocs1.<key id>.<base64url(iv | tag | ciphertext)>`: the key id says which key of the ring
 * sealed it, so decryption never tries keys in turn. Only URL-safe characters, so a sealed
 * value can stand in a query string as it is.
 */
const ENVELOPE = /^ocs1\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{38,})$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The scheme the embedded default sealed with before key rings: AES-256-GCM under sha256 of a built-in passphrase. */
const LEGACY_PREFIX = 'enc:v1:';
const LEGACY_DEMO_KEY = createHash('sha256').update('ordercast-embedded-demo-key-change-me').digest();

/** One key of `ENCRYPTION_KEY` as written: 32 bytes in base64 (44 characters, or 43 unpadded) or hex (64). */
export const ENCRYPTION_KEY_PATTERN = /^\s*(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)\s*(?:,\s*(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)\s*)*$/;

export class SecretBoxError extends Error {}

export interface SecretBoxOptions {
  /**
   * Also opens values of the old `enc:v1:` scheme, which only the embedded default ever wrote
   * (with its built-in key): its data under `.data/` stays readable without a migration.
   */
  readLegacyDemoValues?: boolean;
}

interface RingKey {
  id: string;
  material: Buffer;
}

/**
 * Seals secrets (AES-256-GCM) with the key ring of `ENCRYPTION_KEY=key1,key2,...`: the first key
 * seals, every key opens, so a key is rotated without downtime by putting the new one first and
 * keeping the old one until everything it sealed has been rewritten or has expired.
 *
 * Opening a value that is not a sealed envelope is an error, never a pass-through: a plaintext
 * that slipped into a sealed column must not be used as if it had been sealed.
 */
export class SecretBox {
  private readonly ring: RingKey[];
  private readonly byId: Map<string, RingKey>;
  private readonly purposeKeys = new Map<string, Buffer>();
  private readonly readLegacy: boolean;

  constructor(encryptionKey: string, options: SecretBoxOptions = {}) {
    this.ring = parseEncryptionKeys(encryptionKey).map((material) => ({ id: keyId(material), material }));
    this.byId = new Map(this.ring.map((key) => [key.id, key]));
    this.readLegacy = options.readLegacyDemoValues ?? false;
  }

  /** The id of the key that seals new values (the first of the ring). */
  get sealingKeyId(): string {
    return this.ring[0].id;
  }

  encrypt(plain: string, purpose: SecretPurpose): string {
    const key = this.ring[0];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.purposeKey(key, purpose), iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `ocs1.${key.id}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Throws {@link SecretBoxError} (naming neither value nor key) for anything but a value this ring sealed for `purpose`. */
  decrypt(sealed: string, purpose: SecretPurpose): string {
    if (this.readLegacy && sealed.startsWith(LEGACY_PREFIX)) {
      return openOrThrow(LEGACY_DEMO_KEY, Buffer.from(sealed.slice(LEGACY_PREFIX.length), 'base64'), `a legacy ${purpose} value does not open`);
    }
    const envelope = ENVELOPE.exec(sealed);
    if (!envelope) throw new SecretBoxError(`a ${purpose} value is not a sealed envelope`);
    const key = this.byId.get(envelope[1]);
    if (!key) throw new SecretBoxError(`a ${purpose} value was sealed with key ${envelope[1]}, which is not in ENCRYPTION_KEY`);
    return openOrThrow(this.purposeKey(key, purpose), Buffer.from(envelope[2], 'base64url'),
      `a ${purpose} value sealed with key ${envelope[1]} does not open (altered, or sealed for another purpose)`);
  }

  /**
   * Whether a value has the form of something this box opens (it may still fail to): an envelope,
   * or in the embedded default an old `enc:v1:` value.
   */
  isSealed(value: string): boolean {
    return ENVELOPE.test(value) || (this.readLegacy && value.startsWith(LEGACY_PREFIX));
  }

  encryptValues(values: Record<string, string>, purpose: SecretPurpose): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, this.encrypt(value, purpose)]));
  }

  decryptValues(values: Record<string, string>, purpose: SecretPurpose): Record<string, string> {
    return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, this.decrypt(value, purpose)]));
  }

  private purposeKey(key: RingKey, purpose: SecretPurpose): Buffer {
    const cacheKey = `${key.id}/${purpose}`;
    let derived = this.purposeKeys.get(cacheKey);
    if (!derived) {
      derived = Buffer.from(hkdfSync('sha256', key.material, Buffer.alloc(0), `ordercast ${purpose}`, 32));
      this.purposeKeys.set(cacheKey, derived);
    }
    return derived;
  }
}

/** The keys of `ENCRYPTION_KEY=key1,key2`, each 32 bytes from base64 or hex. */
export function parseEncryptionKeys(value: string): Buffer[] {
  if (!ENCRYPTION_KEY_PATTERN.test(value)) throw new SecretBoxError('ENCRYPTION_KEY must be one or more comma-separated keys of 32 random bytes, base64 or hex (openssl rand -base64 32)');
  return value.split(',').map((part) => part.trim()).map((part) => (/^[0-9a-fA-F]{64}$/.test(part) ? Buffer.from(part, 'hex') : Buffer.from(part, 'base64')));
}

/** A key's public name: derived by HKDF, so it tells nothing about the key. */
function keyId(material: Buffer): string {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'ordercast key id', 6)).toString('base64url');
}

function openOrThrow(key: Buffer, raw: Buffer, failure: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretBoxError(failure);
  }
}

export const SECRET_BOX = Symbol('SECRET_BOX');
