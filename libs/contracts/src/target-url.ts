/**
 * What is wrong with a target URL template (placeholders allowed); `field` names it in the messages.
 * - a placeholder outside the path and query (`http://{order.reference}/x`) would make a URL that
 *   is valid here invalid at delivery, on every retry;
 * - a fragment is never sent over HTTP, so a secret in it would only be shown around;
 * - `;` parameters in the path (matrix parameters) are where credentials hide from masking, which
 *   covers the query; nothing a webhook receiver needs.
 */
export function targetUrlErrors(url: unknown, field: string): string[] {
  if (typeof url !== 'string' || url.length > 2048) return [`${field} must be a URL of at most 2048 characters`];
  let parsed: URL;
  try {
    parsed = new URL(url.replace(/\{[a-z_.]+\}/g, 'x'));
  } catch {
    return [`${field} must be an absolute http(s) URL`];
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return [`${field} must use http or https`];
  if (parsed.username || parsed.password) return [`${field} must not carry credentials; use headers`];
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url)?.[0] ?? '';
  if (origin.includes('{')) return [`${field} may have placeholders only in its path and query, not in its host`];
  if (url.includes('#')) return [`${field} must not have a fragment (#...): it is never sent to the target`];
  if (url.split('?')[0].includes(';')) return [`${field} must not have ; parameters in its path; put parameters in the query`];
  return [];
}
