import type { IncomingHttpHeaders } from 'node:http';

/**
 * A request header's value by name in any case, or undefined. Node joins a repeated header into
 * one value (only `set-cookie` stays a list), so a list is no value here.
 */
export function headerValue(request: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Whether the request sent header `name` (lower case) more than once. Node joins most repeated
 * headers into one value with ", " and keeps only the first of some (Authorization); where one
 * value is meant (a credential, a merchant, an idempotency key) two are refused rather than one
 * picked or both read as one.
 */
export function repeatedHeader(rawHeaders: readonly string[], name: string): boolean {
  let seen = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) if (rawHeaders[index].toLowerCase() === name && ++seen > 1) return true;
  return false;
}
