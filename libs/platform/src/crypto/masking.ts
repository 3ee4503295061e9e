import { MASKED_SECRET } from '@ordercast/contracts';

export const MASK = '********';

/**
 * Header values are masked in every response, Event record and log line. Every registered
 * header is treated as secret except a short list known to be harmless, so a new header
 * name carrying a credential is never shown by accident.
 */
const VISIBLE_HEADERS = new Set(['accept', 'accept-language', 'content-language', 'x-correlation-id', 'x-request-id', 'x-source', 'x-channel']);

export function maskHeaders(headers: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, VISIBLE_HEADERS.has(name.toLowerCase()) ? value : MASK]));
}

export function maskSecret(secret: string | null | undefined): string | null {
  return secret ? MASKED_SECRET : null;
}

/**
 * Masks header values that are stored sealed: only the few visible ones are opened, so showing a
 * registration costs no decryption for the values nobody may see anyway.
 */
export function maskSealedHeaders(sealed: Record<string, string> | null | undefined, open: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(sealed ?? {}).map(([name, value]) => [name, VISIBLE_HEADERS.has(name.toLowerCase()) ? open(value) : MASK]));
}
