import type { IncomingHttpHeaders } from 'node:http';

/**
 * A request header's value by name in any case, or undefined. Node joins a repeated header into
 * one value (only `set-cookie` stays a list), so a list is no value here.
 */
export function headerValue(request: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}
