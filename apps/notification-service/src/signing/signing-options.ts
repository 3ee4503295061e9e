/** Injection token of the optional {@link SigningOptions}. */
export const SIGNING_OPTIONS = Symbol('SIGNING_OPTIONS');

export interface SigningOptions {
  /** How long a retired key stays in the JWKS (`SIGNING_KEY_GRACE_MS`); 7 days by default. */
  keyGraceMs?: number;
  /** How often an instance re-reads the keys to pick up another instance's rotation; 30 s by default. */
  refreshMs?: number;
}

export const DEFAULT_KEY_GRACE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_KEY_REFRESH_MS = 30_000;
