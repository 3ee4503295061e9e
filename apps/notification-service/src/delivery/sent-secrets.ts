import type { TargetAuth } from '@ordercast/contracts';
import { MASK, urlCredentialValues } from '@ordercast/platform';
import { clientBasicCredentials, formEncode } from './oauth2-tokens';

/** Values shorter than this are masked as sent and JSON-escaped, not in their encodings. */
const MIN_ENCODED_SECRET = 8;
/** A truncated text's tail is masked when it is the start of a secret at least this long: a shorter tail tells next to nothing, and one or two characters match the start of some encoding by chance. */
const MIN_CUT_PREFIX = 4;

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
  // A target that answers JSON quotes what it got escaped: `"` and `\` (and by some encoders `/`
  // and everything past ASCII) come back as escape sequences, which the value as sent does not match.
  for (const value of [...values]) for (const escaped of jsonEscapings(value)) values.add(escaped);
  // ...and a target that echoes a value encoded (or reads its UTF-8 bytes as Latin-1) shows it in that form.
  // Not for short values: their encodings (`MQ==`, `31`) turn up in any text by chance, and reveal little.
  for (const value of [...values]) if (value.length >= MIN_ENCODED_SECRET) for (const encoded of encodings(value)) values.add(encoded);
  values.delete('');
  values.delete(MASK);
  // Longest first, so a secret that contains another is masked whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/**
 * A text to store about a request (response body, error) with every secret it sent masked. A text
 * `truncated` at a size limit may end in the first characters of a secret the cut went through:
 * that tail is masked too.
 */
export function maskSentSecrets(text: string, secrets: readonly string[], truncated?: boolean): string;
export function maskSentSecrets(text: string | null, secrets: readonly string[], truncated?: boolean): string | null;
export function maskSentSecrets(text: string | null, secrets: readonly string[], truncated = false): string | null {
  if (text === null) return null;
  const masked = secrets.reduce((result, secret) => result.split(secret).join(MASK), text);
  if (!truncated) return masked;
  const cut = Math.max(0, ...secrets.map((secret) => longestPrefixAtEnd(masked, secret)));
  return cut === 0 ? masked : `${masked.slice(0, masked.length - cut)}${MASK}`;
}

/** How many leading characters of `secret` (short of all of it) `text` ends with. */
function longestPrefixAtEnd(text: string, secret: string): number {
  for (let length = Math.min(secret.length - 1, text.length); length >= MIN_CUT_PREFIX; length -= 1) {
    if (text.endsWith(secret.slice(0, length))) return length;
  }
  return 0;
}

/** `value` as JSON encoders write it inside a string: JSON.stringify's escapes, then also `\/`, then also `\uXXXX` past ASCII. */
function jsonEscapings(value: string): string[] {
  const escaped = JSON.stringify(value).slice(1, -1);
  const slashes = escaped.replace(/\//g, '\\/');
  const ascii = slashes.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return [escaped, slashes, ascii].filter((form) => form !== value);
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** `value` percent-encoded, in base64 (both alphabets), in hex, and its UTF-8 bytes read as Latin-1, where those differ from it. */
function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [encodeURIComponent(value), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('latin1')]
    .filter((form) => form !== value);
}
