import { withTargetSecrets, type KafkaDestination, type TargetAuth, type TargetConnection } from '@ordercast/contracts';
import { MASK } from './masking';
import { maskUrlCredentials, restoreMaskedUrlCredentials } from './url-credentials';

/**
 * Where a registration or subscription delivers, with its header values, URL credentials and target
 * credentials in the clear. `auth` and `kafka` are left out by callers that keep them apart.
 */
export interface SecretTarget {
  url: string | null;
  headers: Record<string, string>;
  auth?: TargetAuth | null;
  kafka?: KafkaDestination | null;
}

/**
 * The origin (scheme, host, port) of a target URL template, or null when it has none (email, poll)
 * or cannot be parsed. Placeholders are allowed only in the path and query, so they do not change it.
 */
export function targetOrigin(url: string | null): string | null {
  if (url === null) return null;
  try {
    return new URL(url.replace(/\{[a-z_.]+\}/g, 'x')).origin;
  } catch {
    return null;
  }
}

/**
 * The target credentials as every response and every other receiver sees them: the client secret,
 * private key and SASL password masked, and the token URL's query values too, since a token
 * endpoint's URL carries credentials in its query (an API key, a tenant's signature) as a target's
 * does. The token is still fetched from the URL as registered.
 */
export function maskTargetConnection<T extends TargetConnection>(target: T): T {
  const masked = withTargetSecrets(target, () => MASK);
  const auth = masked.auth ?? null;
  return auth?.type === 'oauth2_client_credentials' ? { ...masked, auth: { ...auth, tokenUrl: maskUrlCredentials(auth.tokenUrl) } } : masked;
}

/**
 * A target given back as a response showed it, with every masked value (`********`) restored from
 * the stored target, so a GET-modify-PUT round trip keeps the secrets it could not see. Only while
 * the origin is unchanged: a secret was given for one receiver, and whoever re-points a target
 * somewhere else must give the secrets again rather than send the stored ones there. `problems`
 * names every value that stays masked (no stored target, another origin, nothing stored by that
 * name); a masked value is never stored or sent. The target credentials follow the same rule where
 * they are sent: an OAuth2 client secret goes to the token URL and buys a token for the target, so it
 * is kept only while both origins are unchanged, and so are the token URL's masked query values; a SASL password goes to the brokers, so it is kept
 * only while they are the same. (An mTLS private key cannot come back masked: it would not parse.)
 */
export function keepMaskedValues(given: SecretTarget, stored: SecretTarget | null): { target: SecretTarget; problems: string[] } {
  const sameOrigin = stored !== null && targetOrigin(given.url) === targetOrigin(stored.url);
  const source = sameOrigin ? stored : null;
  const why = stored === null ? 'there is no stored value to keep' : sameOrigin ? 'there is no stored value of that name' : 'the target origin changed';
  const problems: string[] = [];
  const headers = Object.fromEntries(Object.entries(given.headers).map(([name, value]) => {
    if (value !== MASK) return [name, value];
    const kept = source === null ? undefined : storedHeader(source.headers, name);
    if (kept === undefined) problems.push(`header "${name}" is masked (${MASK}) and ${why}: give its value`);
    return [name, kept ?? value];
  }));
  let url = given.url;
  if (url !== null) {
    const restored = restoreMaskedUrlCredentials(url, source?.url ?? null);
    url = restored.url;
    problems.push(...restored.missing.map((label) => `url ${label} is masked (${MASK}) and ${why}: give its value`));
  }
  const target: SecretTarget = { url, headers };
  if (given.auth !== undefined) target.auth = keepMaskedAuth(given.auth, source?.auth ?? null, why, problems);
  if (given.kafka !== undefined) target.kafka = keepMaskedPassword(given.kafka, stored?.kafka ?? null, problems);
  return { target, problems };
}

function keepMaskedAuth(given: TargetAuth | null, stored: TargetAuth | null, why: string, problems: string[]): TargetAuth | null {
  if (given?.type !== 'oauth2_client_credentials') return given;
  const source = stored?.type === 'oauth2_client_credentials' && targetOrigin(stored.tokenUrl) === targetOrigin(given.tokenUrl) ? stored : null;
  const reason = stored?.type === 'oauth2_client_credentials' ? 'the token URL origin changed' : why === 'the target origin changed' ? why : 'there is no stored value to keep';
  const tokenUrl = restoreMaskedUrlCredentials(given.tokenUrl, source?.tokenUrl ?? null);
  problems.push(...tokenUrl.missing.map((label) => `auth.tokenUrl ${label} is masked (${MASK}) and ${source === null ? reason : 'there is no stored value of that name'}: give its value`));
  const clientSecret = given.clientSecret !== MASK ? given.clientSecret : source?.clientSecret;
  if (clientSecret === undefined) problems.push(`auth.clientSecret is masked (${MASK}) and ${reason}: give its value`);
  return { ...given, tokenUrl: tokenUrl.url, clientSecret: clientSecret ?? given.clientSecret };
}

function keepMaskedPassword(given: KafkaDestination | null, stored: KafkaDestination | null, problems: string[]): KafkaDestination | null {
  if (!given?.sasl || given.sasl.password !== MASK) return given;
  const sameBrokers = stored !== null && [...stored.brokers].sort().join(',') === [...given.brokers].sort().join(',');
  const kept = sameBrokers ? stored.sasl?.password : undefined;
  if (kept === undefined) problems.push(`kafka.sasl.password is masked (${MASK}) and ${stored?.sasl && !sameBrokers ? 'the brokers changed' : 'there is no stored value to keep'}: give its value`);
  return { ...given, sasl: { ...given.sasl, password: kept ?? given.sasl.password } };
}

function storedHeader(headers: Record<string, string>, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(headers, name)) return headers[name];
  const match = Object.keys(headers).find((stored) => stored.toLowerCase() === name.toLowerCase());
  return match === undefined ? undefined : headers[match];
}
