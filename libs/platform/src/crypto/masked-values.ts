import { MASK } from './masking';
import { restoreMaskedUrlCredentials } from './url-credentials';

/** Where a registration or subscription delivers, with its header values and URL credentials in the clear. */
export interface SecretTarget {
  url: string | null;
  headers: Record<string, string>;
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
 * A target given back as a response showed it, with every masked value (`********`) restored from
 * the stored target, so a GET-modify-PUT round trip keeps the secrets it could not see. Only while
 * the origin is unchanged: a secret was given for one receiver, and whoever re-points a target
 * somewhere else must give the secrets again rather than send the stored ones there. `problems`
 * names every value that stays masked (no stored target, another origin, nothing stored by that
 * name); a masked value is never stored or sent.
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
  return { target: { url, headers }, problems };
}

function storedHeader(headers: Record<string, string>, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(headers, name)) return headers[name];
  const match = Object.keys(headers).find((stored) => stored.toLowerCase() === name.toLowerCase());
  return match === undefined ? undefined : headers[match];
}
