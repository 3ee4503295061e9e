import { Injectable } from '@nestjs/common';

/** The order as this instance last wrote it: its JSON, the version the write left and the row's revision (`xmin`). */
export interface CachedOrder {
  version: number;
  revision: string;
  document: string;
}

/** JSON this instance keeps of the orders it wrote last (strings count two bytes a character). */
const CACHE_BYTES = 16 * 1024 * 1024;

/**
 * The orders this instance wrote last, so that changing one again needs no read: the change is
 * computed from the cached order and written only if the row's version and revision are still
 * the cached ones (`OrderStore.change`). Nothing here is trusted beyond that: another
 * instance's change, or any update of the row made outside the service, makes the write match
 * nothing and the order is read again, and a change the cached order refuses is
 * tried again on the order read from the database. Never used to answer a read. Keyed by merchant
 * and order, so a merchant's request only finds what its own requests wrote; least recently used
 * entries go first once the strings pass {@link CACHE_BYTES}.
 */
@Injectable()
export class OrderCache {
  private readonly entries = new Map<string, CachedOrder>();
  private bytes = 0;

  get(merchant: string, orderId: string): CachedOrder | undefined {
    const key = cacheKey(merchant, orderId);
    const entry = this.entries.get(key);
    if (entry) {
      // Most recently used last: Map keeps insertion order.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(merchant: string, orderId: string, entry: CachedOrder): void {
    this.delete(merchant, orderId);
    const size = entry.document.length * 2;
    if (size > CACHE_BYTES / 16) return;
    this.entries.set(cacheKey(merchant, orderId), entry);
    this.bytes += size;
    for (const [key, oldest] of this.entries) {
      if (this.bytes <= CACHE_BYTES) break;
      this.entries.delete(key);
      this.bytes -= oldest.document.length * 2;
    }
  }

  delete(merchant: string, orderId: string): void {
    const key = cacheKey(merchant, orderId);
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.document.length * 2;
  }
}

function cacheKey(merchant: string, orderId: string): string {
  return `${merchant}\u0000${orderId}`;
}
