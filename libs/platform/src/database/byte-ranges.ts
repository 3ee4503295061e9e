/**
 * Large texts of a batch statement (order documents, change events, delivery bodies) as one
 * `bytea` parameter and each text's 1-based byte range in it, for the statement to cut out with
 * `convert_from(substring($n::bytea FROM start FOR length), 'UTF8')`. Inside a JSON parameter a
 * JSON text is parsed twice (the array, then the text as json); in a text array pg escapes every
 * quote of it. A byte range is cut out in constant time, and the text parsed once.
 */
export interface PackedTexts {
  bytes: Buffer;
  /** [start, length] of each text, in the order given. */
  ranges: Array<[number, number]>;
}

export function packTexts(texts: readonly string[]): PackedTexts {
  // Each text is encoded straight into its place in one buffer, not into a buffer of its own that is then copied.
  const lengths = texts.map((text) => Buffer.byteLength(text, 'utf8'));
  const bytes = Buffer.allocUnsafe(lengths.reduce((sum, length) => sum + length, 0));
  let next = 1;
  const ranges = texts.map((text, index): [number, number] => {
    const start = next;
    bytes.write(text, start - 1, 'utf8');
    next += lengths[index];
    return [start, lengths[index]];
  });
  return { bytes, ranges };
}

/** The SQL that cuts the text of `start` and `length` (column expressions) out of the `bytea` parameter `parameter` (`$3`). */
export function packedText(parameter: string, start: string, length: string): string {
  return `convert_from(substring(${parameter}::bytea FROM ${start} FOR ${length}), 'UTF8')`;
}
