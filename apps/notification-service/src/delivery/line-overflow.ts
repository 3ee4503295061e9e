import type { Endpoint } from './endpoint';

/**
 * A row kept leased past its endpoint line's room: its id, how long its lease is known to last
 * (epoch ms), and what to send when the overflow had room for it (else it is read back by id).
 */
export interface OverflowRow<Kept> {
  id: string;
  leasedUntil: number;
  kept?: Kept;
}

interface OverflowLine<Kept> {
  endpoint: Endpoint;
  /** Oldest first (a Map keeps insertion order). */
  rows: Map<string, OverflowRow<Kept>>;
}

/**
 * Rows leased to this instance that did not fit their endpoint's line, oldest first per endpoint.
 * They stay leased, so no poll claims them, and they go out when their line has room again: a
 * burst to one endpoint waits here instead of being given back to the database and claimed again
 * (an UPDATE for each way, repeated while the line stays full).
 *
 * What to send is kept with a row while the rows kept so hold at most `maxKeptSize` (as `sizeOf`
 * counts, the body's length), so the line needs no read of the bodies back, only a look at whether
 * the rows are still this instance's and their targets still enabled; past that, rows are kept by
 * id only and read back whole.
 */
export class LineOverflow<Kept> {
  private readonly lines = new Map<string, OverflowLine<Kept>>();
  private readonly byId = new Map<string, string>();
  private keptSize = 0;

  constructor(
    private readonly maxKeptSize: number,
    private readonly sizeOf: (kept: Kept) => number,
  ) {}

  get size(): number {
    return this.byId.size;
  }

  /** The size of what is kept with the rows, as `sizeOf` counts. */
  get sizeKept(): number {
    return this.keptSize;
  }

  /** Rows kept for `endpointKey`. */
  count(endpointKey: string): number {
    return this.lines.get(endpointKey)?.rows.size ?? 0;
  }

  /** Keeps a row for `endpoint`, with `kept` if that fits in what the overflow may hold, else by id. */
  add(endpoint: Endpoint, row: OverflowRow<Kept>): void {
    const line = this.lines.get(endpoint.key) ?? { endpoint, rows: new Map<string, OverflowRow<Kept>>() };
    this.lines.set(endpoint.key, line);
    let kept: Kept | undefined;
    if (row.kept !== undefined) {
      const size = this.sizeOf(row.kept);
      if (this.keptSize + size <= this.maxKeptSize) {
        kept = row.kept;
        this.keptSize += size;
      }
    }
    line.rows.set(row.id, { id: row.id, leasedUntil: row.leasedUntil, kept });
    this.byId.set(row.id, endpoint.key);
  }

  /** The endpoints that have rows kept, with how many. */
  *endpoints(): IterableIterator<{ endpoint: Endpoint; count: number }> {
    for (const line of this.lines.values()) yield { endpoint: line.endpoint, count: line.rows.size };
  }

  /** Removes and returns up to `count` of `endpointKey`'s oldest rows. */
  take(endpointKey: string, count: number): OverflowRow<Kept>[] {
    const line = this.lines.get(endpointKey);
    if (!line) return [];
    const taken: OverflowRow<Kept>[] = [];
    for (const row of line.rows.values()) {
      if (taken.length >= count) break;
      taken.push(row);
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
        this.lines.get(key)!.rows.get(id)!.leasedUntil = leasedUntil;
      } else {
        this.delete(id);
        lost += 1;
      }
    }
    return lost;
  }

  /** Removes and returns every row. */
  clear(): OverflowRow<Kept>[] {
    const rows: OverflowRow<Kept>[] = [];
    for (const line of this.lines.values()) rows.push(...line.rows.values());
    this.lines.clear();
    this.byId.clear();
    this.keptSize = 0;
    return rows;
  }

  private delete(id: string): void {
    const key = this.byId.get(id);
    if (key === undefined) return;
    this.byId.delete(id);
    const line = this.lines.get(key)!;
    const row = line.rows.get(id)!;
    if (row.kept !== undefined) this.keptSize -= this.sizeOf(row.kept);
    line.rows.delete(id);
    if (line.rows.size === 0) this.lines.delete(key);
  }
}
