import { MASK } from './masking';
import type { SecretBox } from './secret-box';

/**
 * Query parameters that carry credentials in a target URL, compared case-insensitively: the one
 * list behind sealing at rest, masking in responses and Events, and redaction in logs.
 */
export const CREDENTIAL_QUERY_PARAMETERS: readonly string[] = [
  'token', 'access_token', 'refresh_token', 'id_token', 'auth_token', 'key', 'api_key', 'apikey', 'api-key', 'x-api-key',
  'secret', 'client_secret', 'signature', 'sig', 'password', 'passwd', 'pwd', 'auth', 'authorization', 'credential', 'credentials',
  'session', 'sessionid',
];

const CREDENTIAL_NAMES = new Set(CREDENTIAL_QUERY_PARAMETERS);

/**
 * Rewrites the value of every credential parameter of a URL's query, leaving every other byte as
 * it was (a URL template with `{order.id}` placeholders is not a parseable URL, and what the
 * registrant wrote is what the target gets). Empty values are left alone.
 */
function mapCredentials(url: string, rewrite: (value: string) => string): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) return url;
  const fragmentStart = url.indexOf('#', queryStart);
  const queryEnd = fragmentStart < 0 ? url.length : fragmentStart;
  const query = url.slice(queryStart + 1, queryEnd).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 0 || equals === pair.length - 1) return pair;
    const name = pair.slice(0, equals);
    return isCredentialName(name) ? `${name}=${rewrite(pair.slice(equals + 1))}` : pair;
  });
  return `${url.slice(0, queryStart + 1)}${query.join('&')}${url.slice(queryEnd)}`;
}

function isCredentialName(encoded: string): boolean {
  let name = encoded;
  try {
    name = decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: compared as written.
  }
  return CREDENTIAL_NAMES.has(name.toLowerCase());
}

/** The URL as responses, Events, logs and other receivers see it: credential values masked. */
export function maskUrlCredentials(url: string): string;
export function maskUrlCredentials(url: string | null): string | null;
export function maskUrlCredentials(url: string | null): string | null {
  return url === null ? null : mapCredentials(url, () => MASK);
}

/** The URL as stored and published: credential values sealed (the envelope is URL-safe, so the URL stays valid). */
export function sealUrlCredentials(url: string, box: SecretBox): string;
export function sealUrlCredentials(url: string | null, box: SecretBox): string | null;
export function sealUrlCredentials(url: string | null, box: SecretBox): string | null {
  return url === null ? null : mapCredentials(url, (value) => box.encrypt(value, 'url-credentials'));
}

/** The URL as only the target itself gets it. Throws when a credential value is not sealed. */
export function openUrlCredentials(url: string, box: SecretBox): string {
  return mapCredentials(url, (value) => box.decrypt(value, 'url-credentials'));
}

/** Whether every credential value of a URL is sealed, as a change event must carry it. */
export function urlCredentialsSealed(url: string, box: SecretBox): boolean {
  let sealed = true;
  mapCredentials(url, (value) => {
    sealed &&= box.isSealed(value);
    return value;
  });
  return sealed;
}

/** `token=abc` in any text (a logged URL) → `token=********`. */
export const CREDENTIAL_QUERY_PATTERN = new RegExp(
  `([?&](?:${CREDENTIAL_QUERY_PARAMETERS.map((name) => name.replace(/[-]/g, '\\-')).join('|')})=)[^&\\s"'#]+`,
  'gi',
);
