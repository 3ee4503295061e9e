import { randomUUID } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): the Unix time in milliseconds in its first 48 bits, then 74 random
 * bits. For the ids of rows written at a high rate (Events, messages, change events): ids made
 * in the same millisecond land side by side in the primary-key index, so an insert touches its
 * rightmost pages instead of a random one each, and the first change of each page after a
 * checkpoint (a full-page image in the WAL) is paid once per page of new rows, not per row.
 * The time it carries is the row's creation time, which the API shows anyway.
 */
export function timeOrderedId(now: number = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID is version 4 with the RFC variant: keep its random part and variant, set time and version.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
