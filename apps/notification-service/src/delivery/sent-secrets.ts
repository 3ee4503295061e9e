import type { TargetAuth } from '@ordercast/contracts';
import { MASK, urlCredentialValues } from '@ordercast/platform';
import { clientBasicCredentials, formEncode } from './oauth2-tokens';

/** Values shorter than this are masked as sent and JSON-escaped, not in their encodings nor in another letter case. */
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
  // A target that echoes a value encoded (or reads its UTF-8 bytes as Latin-1) shows it in that form, also
  // when what it encodes is the value quoted in JSON. (Escaped in JSON itself, maskSentSecrets finds every value.)
  // Not for short values: their encodings (`MQ==`, `31`) turn up in any text by chance, and reveal little.
  for (const value of [...values]) {
    for (const form of [value, ...jsonEscapings(value)]) if (form.length >= MIN_ENCODED_SECRET) for (const encoded of encodings(form)) values.add(encoded);
  }
  values.delete('');
  values.delete(MASK);
  // Longest first, so a secret that contains another is masked whole.
  return [...values].sort((a, b) => b.length - a.length);
}

/**
 * A text to store about a request (response body, error) with every secret it sent masked. A text
 * `truncated` at a size limit may end in the first characters of a secret the cut went through:
 * that tail is masked too.
 *
 * Each secret is found also as JSON encoders escape it, in any mix and at any nesting up to three
 * levels (a JSON string quoted in another): JSON.stringify's escapes, `\/` (PHP), `\uXXXX` in
 * either case for what is past ASCII (Python, PHP), a control character or one HTML-safe encoders
 * escape (Go, Gson); and one of {@link MIN_ENCODED_SECRET} characters or more in any letter case
 * (a shorter one would mask words).
 *
 * A letter or digit is never escaped, so each secret's longest run of them must be in the text
 * (in lower case, for one matched in any case): only the secrets whose run is there are put in the
 * one expression that masks them in one pass. A text without any costs a few substring searches.
 */
export function maskSentSecrets(text: string, secrets: readonly string[], truncated?: boolean): string;
export function maskSentSecrets(text: string | null, secrets: readonly string[], truncated?: boolean): string | null;
export function maskSentSecrets(text: string | null, secrets: readonly string[], truncated = false): string | null {
  if (text === null) return null;
  const secretsIn = anchoredIn(secretPatterns(secrets));
  const masked = replaceWith(text, secretsIn(text).map((pattern) => pattern.whole()), 'g');
  if (!truncated) return masked;
  // Only the end can hold a cut secret, its first characters no further from it than the rest of the
  // secret would take: searching there keeps a long text from costing a second pass.
  const cuttable = secretPatterns(secrets).filter((pattern) => pattern.cutAnchor !== null
    && anchoredIn([pattern], () => pattern.cutAnchor as string)(masked.slice(-pattern.cutWindow)).length > 0);
  if (cuttable.length === 0) return masked;
  const from = Math.max(0, masked.length - Math.max(...cuttable.map((pattern) => pattern.cutWindow)));
  const cut = new RegExp(`(?:${cuttable.map((pattern) => pattern.cut()).join('|')})${PARTIAL_ESCAPE}$`).exec(masked.slice(from));
  return cut === null ? masked : `${masked.slice(0, from + cut.index)}${MASK}`;
}

/** The patterns whose anchor a text contains (in lower case, for one matched in any case). */
function anchoredIn(patterns: SecretPattern[], anchor = (pattern: SecretPattern) => pattern.anchor) {
  return (text: string): SecretPattern[] => {
    let lower: string | null = null;
    return patterns.filter((pattern) => {
      if (!pattern.anyCase) return text.includes(anchor(pattern));
      lower ??= text.toLowerCase();
      return lower.includes(anchor(pattern));
    });
  };
}

function replaceWith(text: string, alternatives: string[], flags: string): string {
  // Alternatives are tried in order: the list is longest first, so a secret that contains another is masked whole.
  return alternatives.length === 0 ? text : text.replace(new RegExp(alternatives.join('|'), flags), MASK);
}

/** Backslashes one escape may take: 1 in a JSON string, 2 or 3 in one quoted in another, up to 8 three levels deep. */
const MAX_ESCAPE_BACKSLASHES = 8;
const BACKSLASHES = `\\\\{1,${MAX_ESCAPE_BACKSLASHES}}`;
/** The longest text one character of a secret may take when escaped: backslashes, `u` and four hex digits, twice for a surrogate pair. */
const MAX_ESCAPED_CHAR = 2 * (MAX_ESCAPE_BACKSLASHES + 5);
/** An escape a cut at the size limit went through. */
const PARTIAL_ESCAPE = `(?:${BACKSLASHES}(?:u[0-9a-fA-F]{0,3})?)?`;
const PARTIAL_ESCAPE_LENGTH = MAX_ESCAPE_BACKSLASHES + 4;

/**
 * One secret's expression sources, built only for a text its anchor is in: the longest run of
 * letters and digits in it (lower-cased when it is matched in any case), which no encoder escapes.
 */
interface SecretPattern {
  anyCase: boolean;
  anchor: string;
  whole(): string;
  /** The anchor of its first MIN_CUT_PREFIX characters, or null for a secret too short to mask a cut start of. */
  cutAnchor: string | null;
  /** Its first MIN_CUT_PREFIX characters and as many more as follow them, short of all. */
  cut(): string;
  /** How many characters from a text's end the start of a cut secret can begin at most. */
  cutWindow: number;
}

/** Keyed by the list itself: a request's list is built once and masks its body, error and span with the same patterns. */
const patternsOf = new WeakMap<readonly string[], SecretPattern[]>();

function secretPatterns(secrets: readonly string[]): SecretPattern[] {
  let patterns = patternsOf.get(secrets);
  if (patterns === undefined) {
    patterns = secrets.filter((secret) => secret !== '').map(secretPattern);
    patternsOf.set(secrets, patterns);
  }
  return patterns;
}

function secretPattern(secret: string): SecretPattern {
  const anyCase = secret.length >= MIN_ENCODED_SECRET;
  const anchorOf = (text: string) => (anyCase ? longestAlphanumericRun(text).toLowerCase() : longestAlphanumericRun(text));
  let parts: string[] | null = null;
  const charParts = () => (parts ??= [...secret].map((char) => charPattern(char, anyCase)));
  const codePoints = [...secret];
  const cuttable = codePoints.length > MIN_CUT_PREFIX;
  return {
    anyCase,
    anchor: anchorOf(secret),
    whole: () => charParts().join(''),
    cutAnchor: cuttable ? anchorOf(codePoints.slice(0, MIN_CUT_PREFIX).join('')) : null,
    // Each character past the first MIN_CUT_PREFIX only after the one before it.
    cut: () => charParts().slice(0, MIN_CUT_PREFIX).join('') + charParts().slice(MIN_CUT_PREFIX, -1).reduceRight((rest, part) => `(?:${part}${rest})?`, ''),
    // A letter or digit stands as it is; any other character may be escaped.
    cutWindow: cuttable ? codePoints.reduce((window, char) => window + (/^[A-Za-z0-9]$/.test(char) ? 1 : MAX_ESCAPED_CHAR), PARTIAL_ESCAPE_LENGTH) : 0,
  };
}

function longestAlphanumericRun(text: string): string {
  return (text.match(/[A-Za-z0-9]+/g) ?? ['']).reduce((longest, run) => (run.length > longest.length ? run : longest));
}

/**
 * What one character of a secret (a code point) may look like in a text: as it is or in another case,
 * and escaped as a JSON encoder writes it, in a string that may itself be quoted in another.
 */
function charPattern(char: string, anyCase: boolean): string {
  const forms = anyCase ? [...new Set([char, char.toLowerCase(), char.toUpperCase()])].filter((form) => form.length === char.length) : [char];
  if (forms.length > 1 && forms.every((form) => /^[A-Za-z]$/.test(form))) return `[${forms.join('')}]`;
  const alternatives = forms.flatMap((form) => formPatterns(form));
  return alternatives.length === 1 ? alternatives[0] : `(?:${alternatives.join('|')})`;
}

/** JSON's two-character escapes of control characters. */
const SHORT_ESCAPES: Record<string, string> = { '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't' };
/**
 * Characters some encoder writes as `\uXXXX` although they could stand as they are: every one but a
 * letter or a digit (Go's and Gson's HTML-safe `<>&='`, .NET's System.Text.Json `+`, `` ` `` and more).
 */
const NEVER_ESCAPED = /^[A-Za-z0-9]$/;

function formPatterns(char: string): string[] {
  const code = char.codePointAt(0) as number;
  if (char === '\\') return [BACKSLASHES];
  const literal = char === '"' || char === '/' ? `\\\\{0,${MAX_ESCAPE_BACKSLASHES}}${regExpEscaped(char)}` : regExpEscaped(char);
  const escapable = !NEVER_ESCAPED.test(char);
  if (!escapable) return [literal];
  const short = SHORT_ESCAPES[char] === undefined ? [] : [`${BACKSLASHES}${SHORT_ESCAPES[char]}`];
  // Each UTF-16 unit of the character (two for a surrogate pair), its hex digits in either case.
  const unicode = [...Array(char.length).keys()].map((index) => `${BACKSLASHES}u${anyCaseHex(char.charCodeAt(index))}`).join('');
  return [literal, ...short, unicode];
}

function anyCaseHex(unit: number): string {
  return [...unit.toString(16).padStart(4, '0')].map((digit) => (/[a-f]/.test(digit) ? `[${digit}${digit.toUpperCase()}]` : digit)).join('');
}

function regExpEscaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
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
