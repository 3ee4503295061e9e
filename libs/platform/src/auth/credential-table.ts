import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Configured secrets (API tokens, operator tokens) and whom each belongs to, looked up in
 * constant time. Each secret is kept as the SHA-256 of a key drawn at random for this process
 * followed by the secret, and a presented token is hashed the same way (one-shot `hash()`: an
 * HMAC object per request was 1.5% of order-service's CPU, and a digest that is only ever compared
 * for equality needs no HMAC construction): every comparison is between two
 * 32-byte digests, so neither the length of a configured token nor how much of it a guess
 * shares shows in the time taken. Every entry is compared on every lookup, without an early
 * exit, so neither does the position of the match.
 */
export class CredentialTable<Owner> {
  private readonly key = randomBytes(32).toString('hex');
  private readonly entries: { digest: Buffer; owner: Owner }[];

  constructor(owners: Iterable<readonly [token: string, owner: Owner]>) {
    this.entries = [...owners].map(([token, owner]) => ({ digest: this.digest(token), owner }));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The owner of `token`, or undefined when no configured secret equals it. */
  ownerOf(token: string): Owner | undefined {
    const given = this.digest(token);
    let owner: Owner | undefined;
    for (const entry of this.entries) {
      const equal = timingSafeEqual(entry.digest, given);
      if (equal && owner === undefined) owner = entry.owner;
    }
    return owner;
  }

  private digest(token: string): Buffer {
    return hash('sha256', this.key + token, 'buffer');
  }
}
