/**
 * The first key that appears twice in one object of `json` (text JSON.parse accepted), or null.
 * JSON.parse keeps the last of two, another reader (a proxy, a reviewer, the merchant's own tool)
 * may keep the first, so a body with `"url"` twice would register a target none of them showed.
 * One pass over the text, a key set per open object (made at its first key: a body of many empty
 * objects allocates none); escaped keys are compared decoded.
 */
export function duplicateKey(json: string): string | null {
  // Per open container: null for an array, undefined for an object with no key yet.
  const open: Array<Set<string> | null | undefined> = [];
  const length = json.length;
  let at = 0;
  while (at < length) {
    const char = json.charCodeAt(at);
    if (char === OPEN_OBJECT) open.push(undefined);
    else if (char === OPEN_ARRAY) open.push(null);
    else if (char === CLOSE_OBJECT || char === CLOSE_ARRAY) open.pop();
    else if (char === QUOTE) {
      const start = at;
      at = closingQuote(json, start);
      const keys = open[open.length - 1];
      if (keys !== null && open.length > 0 && isFollowedByColon(json, at + 1)) {
        const raw = json.slice(start + 1, at);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (keys === undefined) open[open.length - 1] = new Set([key]);
        else if (keys.has(key)) return key;
        else keys.add(key);
      }
    }
    at += 1;
  }
  return null;
}

/** Where the string opened at `start` ends: the next quote not escaped (an odd number of backslashes before it). */
function closingQuote(json: string, start: number): number {
  let at = json.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (json.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return at;
    at = json.indexOf('"', at + 1);
  }
}

function isFollowedByColon(json: string, from: number): boolean {
  let at = from;
  while (WHITESPACE.has(json.charCodeAt(at))) at += 1;
  return json.charCodeAt(at) === COLON;
}

const [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, QUOTE, BACKSLASH, COLON] = ['{', '}', '[', ']', '"', '\\', ':'].map((c) => c.charCodeAt(0));
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
