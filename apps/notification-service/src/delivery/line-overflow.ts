import type { Endpoint } from './endpoint';

/** A row kept leased past its endpoint line's room: its id, and how long its lease is known to last (epoch ms). */
export interface OverflowRow {
  id: string;
  leasedUntil: number;
}

interface OverflowLine {
  endpoint: Endpoint;
  /** Oldest first (a Map keeps insertion order). */
  rows: Map<string, number>;
}

/**
 * Rows leased to this instance that did not fit their endpoint's line, kept by id only (no body),
 * oldest first per endpoint. They stay leased, so no poll claims them, and they are read back
 * when their line has room again: a burst to one endpoint waits here instead of being given back
 * to the database and claimed again (an UPDATE for each way, repeated while the line stays full).
 */
export class LineOverflow {
  private readonly lines = new Map<string, OverflowLine>();
  private readonly byId = new Map<string, string>();

  get size(): number {
    return this.byId.size;
  }

  /** Rows kept for `endpointKey`. */
  count(endpointKey: string): number {
    return this.lines.get(endpointKey)?.rows.size ?? 0;
  }

  add(endpoint: Endpoint, row: OverflowRow): void {
    const line = this.lines.get(endpoint.key) ?? { endpoint, rows: new Map<string, number>() };
    this.lines.set(endpoint.key, line);
    line.rows.set(row.id, row.leasedUntil);
    this.byId.set(row.id, endpoint.key);
  }

  /** The endpoints that have rows kept, with how many. */
  *endpoints(): IterableIterator<{ endpoint: Endpoint; count: number }> {
    for (const line of this.lines.values()) yield { endpoint: line.endpoint, count: line.rows.size };
  }

  /** Removes and returns up to `count` of `endpointKey`'s oldest rows. */
  take(endpointKey: string, count: number): OverflowRow[] {
    const line = this.lines.get(endpointKey);
    if (!line) return [];
    const taken: OverflowRow[] = [];
    for (const [id, leasedUntil] of line.rows) {
      if (taken.length >= count) break;
      taken.push({ id, leasedUntil });
    }
    for (const row of taken) this.delete(row.id);
    return taken;
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  /** After a renewal: rows in `kept` last until `leasedUntil`; the others are no longer this instance's and are dropped. */
  renewed(ids: readonly string[], kept: ReadonlySet<string>, leasedUntil: number): number {
    let lost = 0;
    for (const id of ids) {
      const key = this.byId.get(id);
      if (key === undefined) continue;
      if (kept.has(id)) {
        this.lines.get(key)!.rows.set(id, leasedUntil);
      } else {
        this.delete(id);
        lost += 1;
      }
    }
    return lost;
  }

  /** Removes and returns every row. */
  clear(): OverflowRow[] {
    const rows: OverflowRow[] = [];
    for (const line of this.lines.values()) for (const [id, leasedUntil] of line.rows) rows.push({ id, leasedUntil });
    this.lines.clear();
    this.byId.clear();
    return rows;
  }

  private delete(id: string): void {
    const key = this.byId.get(id);
    if (key === undefined) return;
    this.byId.delete(id);
    const line = this.lines.get(key)!;
    line.rows.delete(id);
    if (line.rows.size === 0) this.lines.delete(key);
  }
}
