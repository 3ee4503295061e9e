import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { parseEncryptionKeys, SecretBox, SecretBoxError } from './secret-box';

const KEY_1 = 'QVDcfeNXbwM4UboRvanSPgD6X5T6ai4lduzHvGjUI1k=';
const KEY_2 = 'qFRPhLbWBzcOQnBwMbp9fM1V99XLUeLTeNGetxmlwx4=';

/** A value as the embedded default sealed it before key rings: `enc:v1:`, AES-256-GCM under sha256 of its passphrase. */
function legacySealed(plain: string): string {
  const key = createHash('sha256').update('ordercast-embedded-demo-key-change-me').digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `enc:v1:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

describe('SecretBox', () => {
  it('seals into a URL-safe envelope naming the key, and opens it again', () => {
    const box = new SecretBox(KEY_1);
    const sealed = box.encrypt('erp-api-key', 'header-values');
    expect(sealed).toMatch(new RegExp(`^ocs1\\.${box.sealingKeyId}\\.[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain('erp-api-key');
    expect(box.encrypt('erp-api-key', 'header-values')).not.toBe(sealed);
    expect(box.decrypt(sealed, 'header-values')).toBe('erp-api-key');
    expect(box.isSealed(sealed)).toBe(true);
    expect(box.isSealed('erp-api-key')).toBe(false);
  });

  it('rotates without downtime: after ENCRYPTION_KEY=key2,key1 old values open and new ones are sealed with key2', () => {
    const before = new SecretBox(KEY_1);
    const old = before.encrypt('sealed under key1', 'signing-secrets');
    const rotated = new SecretBox(`${KEY_2},${KEY_1}`);
    expect(rotated.decrypt(old, 'signing-secrets')).toBe('sealed under key1');
    const fresh = rotated.encrypt('sealed under key2', 'signing-secrets');
    expect(rotated.sealingKeyId).toBe(new SecretBox(KEY_2).sealingKeyId);
    expect(fresh.split('.')[1]).toBe(rotated.sealingKeyId);
    expect(new SecretBox(KEY_2).decrypt(fresh, 'signing-secrets')).toBe('sealed under key2');
    // Once key1 is dropped from the ring, what it sealed is refused by name, not guessed at.
    expect(() => new SecretBox(KEY_2).decrypt(old, 'signing-secrets')).toThrow(`sealed with key ${before.sealingKeyId}, which is not in ENCRYPTION_KEY`);
  });

  it.each([
    ['plaintext', 'erp-api-key'],
    ['an empty string', ''],
    ['the old scheme outside the embedded default', legacySealed('old')],
    ['a malformed envelope', 'ocs1.short.abc'],
  ])('refuses to open %s instead of passing it through', (_case, value) => {
    expect(() => new SecretBox(KEY_1).decrypt(value, 'header-values')).toThrow(SecretBoxError);
  });

  it('refuses an altered value, and a value sealed for another purpose', () => {
    const box = new SecretBox(KEY_1);
    const sealed = box.encrypt('private-jwk', 'signing-keys');
    const last = sealed.at(-2) === 'A' ? 'B' : 'A';
    expect(() => box.decrypt(`${sealed.slice(0, -2)}${last}${sealed.at(-1)}`, 'signing-keys')).toThrow('does not open');
    expect(() => box.decrypt(sealed, 'header-values')).toThrow('sealed for another purpose');
  });

  it('opens what the embedded default sealed before key rings only when told to (the launcher)', () => {
    const old = legacySealed('stored by npm start last year');
    const embedded = new SecretBox(KEY_1, { readLegacyDemoValues: true });
    expect(embedded.decrypt(old, 'header-values')).toBe('stored by npm start last year');
    expect(embedded.isSealed(old)).toBe(true);
    expect(() => new SecretBox(KEY_1).decrypt(old, 'header-values')).toThrow('is not a sealed envelope');
    expect(new SecretBox(KEY_1).isSealed(old)).toBe(false);
  });

  it('reads keys as base64 or hex, 32 bytes each', () => {
    const hex = 'ab'.repeat(32);
    expect(parseEncryptionKeys(`${KEY_1}, ${hex}`).map((key) => key.length)).toEqual([32, 32]);
    expect(new SecretBox(hex).decrypt(new SecretBox(`${KEY_1},${hex}`.split(',').reverse().join(',')).encrypt('x', 'url-credentials'), 'url-credentials')).toBe('x');
    expect(() => parseEncryptionKeys('too-short-passphrase')).toThrow('32 random bytes');
  });

  it('never names the value in an error', () => {
    const box = new SecretBox(KEY_1);
    expect(() => box.decrypt('plain-secret-value', 'header-values')).toThrow(expect.objectContaining({ message: expect.not.stringContaining('plain-secret-value') }));
  });
});
