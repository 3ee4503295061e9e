import type { TargetAuth } from '@ordercast/contracts';
import { MASK, urlCredentialValues } from '@ordercast/platform';
import { clientBasicCredentials, formEncode } from './oauth2-tokens';

/**
 * Every secret value one request carried: registered header values that responses mask, the
 * target URL's credentials (as written and decoded), the signing secret and an OAuth2 client
 * secret (as sent to the token endpoint; the token itself is masked by the invoker that fetched it).
 * A target's answer and the error texts about it are stored and shown to operators, and a target
 * that echoes its request (or quotes it in an error) must not make them show what the API promises
 * never to show.
 */
export function sentSecrets(input: {
  maskedHeaders: Record<string, string>;
  sentHeaders: Record<string, string>;
  url: string;
  secret: string | null;
  auth?: TargetAuth | null;
}): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(input.sentHeaders)) if (input.maskedHeaders[name] === MASK) values.add(value);
  for (const value of urlCredentialValues(input.url)) {
    values.add(value);
    values.add(decoded(value));
  }
  if (input.secret !== null) values.add(input.secret);
  if (input.auth?.type === 'oauth2_client_credentials') {
    values.add(input.auth.clientSecret);
    values.add(formEncode(input.auth.clientSecret));
    values.add(clientBasicCredentials(input.auth));
  }
  values.delete('');
  values.delete(MASK);
  // Longest first, so a secret that contains another is masked whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/** A text to store about a request (response body, error) with every secret it sent masked. */
export function maskSentSecrets(text: string, secrets: readonly string[]): string;
export function maskSentSecrets(text: string | null, secrets: readonly string[]): string | null;
export function maskSentSecrets(text: string | null, secrets: readonly string[]): string | null {
  if (text === null) return null;
  return secrets.reduce((masked, secret) => masked.split(secret).join(MASK), text);
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
