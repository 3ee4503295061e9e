/** What is wrong with a target URL (placeholders allowed); `field` names it in the messages. */
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
  return [];
}
