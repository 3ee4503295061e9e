/** Injection token of the optional {@link SigningOptions}. */
export const SIGNING_OPTIONS = Symbol('SIGNING_OPTIONS');

export interface SigningOptions {
  /** How long a retired key stays in the JWKS (`SIGNING_KEY_GRACE_MS`); 7 days by default. */
  keyGraceMs?: number;
  /** How often an instance re-reads the keys to pick up another instance's rotation; 30 s by default. */
  refreshMs?: number;
  /**
   * The JWKS's `Cache-Control: max-age` (`JWKS_MAX_AGE_SECONDS`); 300 by default. A rotated-in key
   * is published this long before it signs, so a verifier caching the JWKS for as long as it is told
   * has the key before it meets a signature made with it.
   */
  jwksMaxAgeSeconds?: number;
}

export const DEFAULT_KEY_GRACE_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_KEY_REFRESH_MS = 30_000;
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 300;
