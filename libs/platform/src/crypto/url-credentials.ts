import { MASK } from './masking';
import type { SecretBox } from './secret-box';

/** `{order.id}` and the other URL placeholders (see notification-service's `renderTargetUrl`). */
const PLACEHOLDER = /\{[a-z_.]+\}/;

/**
 * Rewrites every credential of a URL, leaving every other byte as it was (a URL template with
 * `{order.id}` placeholders is not a parseable URL, and what the registrant wrote is what the target
 * gets). Every query parameter value is a credential, whatever its name (S3 pre-signed URLs carry
 * theirs in `X-Amz-Signature`, others in names nobody can list), and so is a parameter without `=`
 * and the fragment. Left alone: empty values, and values with a placeholder, which are templates
 * filled from the order at delivery (sealing would hide the placeholder from that) rather than secrets.
 */
function mapCredentials(url: string, rewrite: (value: string, label: string) => string): string {
  const fragmentStart = url.indexOf('#');
  const beforeFragment = fragmentStart < 0 ? url : url.slice(0, fragmentStart);
  const fragment = fragmentStart < 0 ? null : url.slice(fragmentStart + 1);
  const queryStart = beforeFragment.indexOf('?');
  const base = queryStart < 0 ? beforeFragment : beforeFragment.slice(0, queryStart + 1);
  const query = queryStart < 0 ? '' : beforeFragment.slice(queryStart + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 0) return rewriteValue(pair, 'query parameter ""', rewrite);
    const name = pair.slice(0, equals);
    return `${name}=${rewriteValue(pair.slice(equals + 1), `query parameter "${name}"`, rewrite)}`;
  }).join('&');
  return `${base}${query}${fragment === null ? '' : `#${rewriteValue(fragment, 'fragment', rewrite)}`}`;
}

function rewriteValue(value: string, label: string, rewrite: (value: string, label: string) => string): string {
  return value === '' || PLACEHOLDER.test(value) ? value : rewrite(value, label);
}

/** The URL as responses, Events, logs and other receivers see it: every credential masked. */
export function maskUrlCredentials(url: string): string;
export function maskUrlCredentials(url: string | null): string | null;
export function maskUrlCredentials(url: string | null): string | null {
  return url === null ? null : mapCredentials(url, () => MASK);
}

/** The URL as stored and published: credentials sealed (the envelope is URL-safe, so the URL stays valid). */
export function sealUrlCredentials(url: string, box: SecretBox): string;
export function sealUrlCredentials(url: string | null, box: SecretBox): string | null;
export function sealUrlCredentials(url: string | null, box: SecretBox): string | null {
  return url === null ? null : mapCredentials(url, (value) => box.encrypt(value, 'url-credentials'));
}

/**
 * The URL with every credential sealed, keeping those already sealed: how notification-service takes
 * a registration stored before every query value counted as a credential (its `format=json` was kept
 * as written), so that it is still delivered and stored sealed from then on.
 */
export function sealRemainingUrlCredentials(url: string, box: SecretBox): string {
  return mapCredentials(url, (value) => (box.isSealed(value) ? value : box.encrypt(value, 'url-credentials')));
}

/**
 * The URL as only the target itself gets it. A value that is not a sealed envelope goes as written:
 * it was stored when only a list of names counted as credentials, and sending it is what was asked.
 */
export function openUrlCredentials(url: string, box: SecretBox): string {
  return mapCredentials(url, (value) => (box.isSealed(value) ? box.decrypt(value, 'url-credentials') : value));
}

/** The credentials of a URL in the order they appear (as {@link mapCredentials} finds them), e.g. to mask them in texts. */
export function urlCredentialValues(url: string): string[] {
  const values: string[] = [];
  mapCredentials(url, (value) => {
    values.push(value);
    return value;
  });
  return values;
}

/**
 * A URL given back as shown (credentials `********`) with the masked ones restored from the stored
 * URL (opened): the n-th parameter of a name takes the n-th stored value of that name, a masked
 * fragment the stored fragment. `missing` names what has no stored value to restore.
 */
export function restoreMaskedUrlCredentials(given: string, stored: string | null): { url: string; missing: string[] } {
  const storedValues = new Map<string, string[]>();
  if (stored !== null) mapCredentials(stored, (value, label) => {
    storedValues.set(label, [...(storedValues.get(label) ?? []), value]);
    return value;
  });
  const missing: string[] = [];
  const url = mapCredentials(given, (value, label) => {
    if (value !== MASK) return value;
    const restored = storedValues.get(label)?.shift();
    if (restored === undefined) missing.push(label);
    return restored ?? value;
  });
  return { url, missing };
}

/**
 * A target URL as the order's receivers see it in a delivery body (each registration of the order is
 * in every body): scheme and host only, the rest masked. A path may carry the target's secret (Slack,
 * Discord and Teams incoming webhooks do) that nothing tells from an ordinary segment, and receivers
 * have no use for one another's paths. The merchant's own API responses keep the path.
 */
export function maskUrlPath(url: string): string;
export function maskUrlPath(url: string | null): string | null;
export function maskUrlPath(url: string | null): string | null {
  if (url === null) return null;
  // The host ends where a URL parser ends it: at `/`, `?`, `#`, and at `\`, which WHATWG parsers read as `/` in http(s) URLs.
  const parts = /^([a-z][a-z0-9+.-]*:\/\/)([^/\\?#]*)(.*)$/is.exec(url);
  if (!parts) return MASK;
  const [, scheme, authority, rest] = parts;
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return `${scheme}${host}${rest === '' || rest === '/' ? rest : `/${MASK}`}`;
}

/** Every URL in a text (an error message quoting a redirect's Location) with its credentials masked. */
export function maskUrlsInText(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/gi, (url) => maskUrlCredentials(url));
}
