import type { OAuth2ClientCredentials } from '@ordercast/contracts';
import type { HttpInvoker } from './http-invoker';

/** Tokens kept at most; the oldest is dropped beyond this. */
const MAX_CACHED_TOKENS = 10_000;
/** A token without `expires_in` is kept this long (RFC 6749 leaves the default to the server). */
const DEFAULT_LIFETIME_MS = 5 * 60_000;
/** A token is refreshed this long before it expires, at most, so a call does not carry one that expires on the way. */
const MAX_REFRESH_MARGIN_MS = 60_000;

/** The token endpoint gave no token: the attempt fails with this message on its Event. */
export class TokenEndpointError extends Error {}

interface CachedToken {
  token: Promise<string>;
  /** The token once fetched. */
  value: string | null;
  /** Epoch ms after which a new token is fetched; Infinity while the fetch is under way. */
  refreshAt: number;
}

/**
 * OAuth2 client credentials tokens (RFC 6749 section 4.4), fetched once and shared by every
 * delivery to the same target: the cache key is merchant, token URL, client id, scope and audience,
 * so two merchants never share a token, and concurrent deliveries wait for one fetch.
 *
 * The client authenticates with HTTP Basic (section 2.3.1, the method servers must support), id and
 * secret form-encoded first as the RFC asks. The call goes through the webhook invoker, so the token
 * URL passes the same connect-time SSRF check, follows no redirect and has the same timeout.
 */
export class OAuth2Tokens {
  private readonly cache = new Map<string, CachedToken>();

  constructor(private readonly http: HttpInvoker, private readonly now: () => number, private readonly timeoutMs: number) {}

  /** A token for the target; throws {@link TokenEndpointError} when the endpoint gives none. */
  token(merchant: string, credentials: OAuth2ClientCredentials): Promise<string> {
    const key = cacheKey(merchant, credentials);
    const cached = this.cache.get(key);
    if (cached && cached.refreshAt > this.now()) return cached.token;
    return this.fetchInto(key, credentials);
  }

  /** After the target refused `token` (401): the next call fetches a new one, unless another delivery has already. */
  invalidate(merchant: string, credentials: OAuth2ClientCredentials, token: string): void {
    const key = cacheKey(merchant, credentials);
    if (this.cache.get(key)?.value === token) this.cache.delete(key);
  }

  private fetchInto(key: string, credentials: OAuth2ClientCredentials): Promise<string> {
    const entry: CachedToken = { token: Promise.resolve(''), value: null, refreshAt: Infinity };
    entry.token = this.fetch(credentials).then(
      ({ token, lifetimeMs }) => {
        entry.refreshAt = this.now() + lifetimeMs - Math.min(MAX_REFRESH_MARGIN_MS, lifetimeMs / 10);
        entry.value = token;
        return token;
      },
      (error: Error) => {
        // A failure is not cached: the next attempt asks again.
        if (this.cache.get(key) === entry) this.cache.delete(key);
        throw error;
      },
    );
    this.cache.delete(key);
    this.cache.set(key, entry);
    if (this.cache.size > MAX_CACHED_TOKENS) this.cache.delete(this.cache.keys().next().value as string);
    return entry.token;
  }

  private async fetch(credentials: OAuth2ClientCredentials): Promise<{ token: string; lifetimeMs: number }> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.scope !== null) form.set('scope', credentials.scope);
    if (credentials.audience !== null) form.set('audience', credentials.audience);
    const result = await this.http.invoke({
      url: credentials.tokenUrl,
      method: 'POST',
      headers: { Authorization: `Basic ${clientBasicCredentials(credentials)}`, 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
      timeoutMs: this.timeoutMs,
    });
    if (result.kind === 'error') throw new TokenEndpointError(`oauth2 token endpoint: ${result.error}`);
    const body = parseJson(result.body);
    if (result.statusCode < 200 || result.statusCode >= 300) {
      const reason = typeof body?.error === 'string' ? body.error.slice(0, 200) : result.body.slice(0, 200);
      throw new TokenEndpointError(`oauth2 token endpoint answered ${result.statusCode}${reason ? `: ${reason}` : ''}`);
    }
    if (typeof body?.access_token !== 'string' || body.access_token === '') throw new TokenEndpointError('oauth2 token endpoint answered without an access_token');
    if (typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer') {
      throw new TokenEndpointError(`oauth2 token endpoint gave a ${body.token_type.slice(0, 50)} token; only Bearer tokens are supported`);
    }
    const expiresIn = Number(body.expires_in);
    return { token: body.access_token, lifetimeMs: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_LIFETIME_MS };
  }
}

function cacheKey(merchant: string, credentials: OAuth2ClientCredentials): string {
  return JSON.stringify([merchant, credentials.tokenUrl, credentials.clientId, credentials.scope, credentials.audience]);
}

/** The HTTP Basic credentials (base64) the client authenticates with at the token endpoint. */
export function clientBasicCredentials(credentials: Pick<OAuth2ClientCredentials, 'clientId' | 'clientSecret'>): string {
  return Buffer.from(`${formEncode(credentials.clientId)}:${formEncode(credentials.clientSecret)}`).toString('base64');
}

/** application/x-www-form-urlencoded, as RFC 6749 section 2.3.1 wants the Basic user name and password. */
export function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
