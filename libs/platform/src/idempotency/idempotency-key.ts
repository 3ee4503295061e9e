import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';

/** The longest key accepted: room for a UUID or a ULID with a prefix, not for a payload smuggled in a header. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** How long a key is remembered (the IETF draft's suggestion, and Stripe's). */
export const IDEMPOTENCY_KEY_RETENTION_HOURS = 24;

/** The outcome of reading an `Idempotency-Key` header: the key, or why it is refused. */
export type ParsedIdempotencyKey = { key: string } | { error: string };

/**
 * Reads the header. The IETF draft makes it a Structured Field string (`"8e03978e-…"`); most
 * clients send the bare value (Stripe's form), so both are accepted and mean the same key.
 * A key is 1 to {@link MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters; anything else is
 * refused rather than normalised, so two spellings can never silently name the same key.
 */
export function parseIdempotencyKey(header: string): ParsedIdempotencyKey {
  const quoted = header.length >= 2 && header.startsWith('"') && header.endsWith('"');
  const key = quoted ? unquote(header.slice(1, -1)) : header;
  if (key === null) return { error: 'Idempotency-Key is a quoted string whose only escapes are \\" and \\\\' };
  if (key.length === 0) return { error: 'Idempotency-Key must not be empty' };
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) return { error: `Idempotency-Key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` };
  if (!/^[\x20-\x7e]+$/.test(key)) return { error: 'Idempotency-Key must be printable ASCII' };
  return { key };
}

/** The content of an sf-string (RFC 8941 §3.3.3), or null when it has an unescaped quote or a bad escape. */
function unquote(inner: string): string | null {
  let key = '';
  for (let i = 0; i < inner.length; i += 1) {
    const char = inner[i];
    if (char === '"') return null;
    if (char === '\\') {
      const next = inner[i + 1];
      if (next !== '"' && next !== '\\') return null;
      key += next;
      i += 1;
    } else {
      key += char;
    }
  }
  return key;
}

/** What makes two requests "the same request" for one key. */
export interface FingerprintedRequest {
  method: string;
  /** The path with its query string, as the client sent it. */
  url: string;
  /** The request headers the route reads besides the body (e.g. `X-Channel`), by lower-case name. */
  headers: Record<string, string | undefined>;
  /** The parsed JSON body; compared as RFC 8785 canonical JSON, so whitespace and member order do not matter. */
  body: unknown;
}

/** SHA-256 over method, URL, the listed headers and the canonical body: equal for the same request, different otherwise. */
export function requestFingerprint(request: FingerprintedRequest): string {
  const headers = Object.keys(request.headers).sort().map((name) => [name, request.headers[name] ?? null]);
  const body = request.body === undefined ? null : canonicalize(request.body) ?? null;
  return createHash('sha256').update(JSON.stringify([request.method.toUpperCase(), request.url, headers, body])).digest('hex');
}
