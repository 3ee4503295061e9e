import type { Endpoint } from './endpoint';

export interface DispatchQueueLimits {
  /** Calls in flight per endpoint (merchant and origin). */
  perEndpoint: number;
  /** Calls in flight per host, over all merchants and ports. */
  perHost: number;
  /** Items waiting per endpoint, unless {@link DispatchQueue.push} is given another room; it refuses more. */
  waitingPerEndpoint: number;
  /** Calls in flight per merchant, over all its endpoints. Defaults to no bound. */
  perMerchant?: number;
  /** Calls in flight per merchant on one host, over all its ports. Defaults to no bound (then `perHost` bounds it). */
  perMerchantHost?: number;
  /**
   * The last `reserved` of the instance's `slots`, and the last `reservedPerHost` of each host's
   * `perHost`, only go to merchants with fewer than `light` calls in flight there, so merchants who
   * each keep to their share still cannot take every slot, or every slot of a host, together.
   *
   * Within a merchant likewise: the last `reservedPerMerchantHost` of its `perMerchantHost` only go to
   * its endpoints with fewer than `light` calls in flight, once the merchant has had another endpoint
   * on that host in the queue since it last had none there. One endpoint may take a merchant's whole
   * share of a host (by default both are 64), and one that hangs then held back the merchant's other
   * endpoints on the host until its calls timed out; a merchant with one endpoint there keeps the
   * whole share for it. (Over the instance a merchant has twice an endpoint's concurrency.)
   */
  reserve?: { slots: number; reserved: number; reservedPerHost: number; light: number; reservedPerMerchantHost?: number };
}

interface Line<T> {
  endpoint: Endpoint;
  waiting: T[];
  active: number;
}

/**
 * The dispatcher's in-memory queue: one line per merchant endpoint, served round-robin, each
 * bounded in flight per endpoint and per host, and per merchant over all its endpoints and over
 * its ports of one host. An item waiting for its endpoint, host or merchant holds no dispatch slot,
 * so a slow endpoint's backlog stays in its own line while the next endpoint's items start; a
 * merchant with thousands of deliveries takes one turn per round like a merchant with one; and a
 * merchant whose endpoints all hang holds no more than its share of the slots or of a host.
 *
 * Its lines are bounded too: past `waitingPerEndpoint`, {@link push} refuses, and the caller gives
 * the row back to the database, where it waits without holding this instance's memory.
 */
export class DispatchQueue<T> {
  private readonly lines = new Map<string, Line<T>>();
  private readonly hosts = new Map<string, number>();
  /** Calls in flight per merchant, and per merchant and host (`merchant host`). */
  private readonly merchants = new Map<string, number>();
  private readonly merchantHosts = new Map<string, number>();
  /**
   * Per merchant and host: its lines (items waiting or in flight), and whether it has had two or more
   * since it last had none. Then its reserve applies ({@link inMerchantReserve}) until all its lines
   * there are gone, not only while a second line has items waiting (a fast endpoint's line is empty
   * most of the time, and a hanging one took the reserve then).
   */
  private readonly hostLines = new Map<string, { lines: number; several: boolean }>();
  /** Endpoint keys with waiting items, in turn order; the next turn starts at `turn`. */
  private ring: string[] = [];
  private turn = 0;
  private waitingCount = 0;
  private activeCount = 0;
  /** Items waiting past `waitingPerEndpoint` in their line (a caller gave the endpoint more room). */
  private pastRoomCount = 0;

  constructor(private readonly limits: DispatchQueueLimits) {}

  /** Items waiting (not started). */
  get size(): number {
    return this.waitingCount;
  }

  /** Of {@link size}, the items past their line's `waitingPerEndpoint`. */
  get pastRoom(): number {
    return this.pastRoomCount;
  }

  /** Items waiting on the line of `endpointKey`. */
  waitingFor(endpointKey: string): number {
    return this.lines.get(endpointKey)?.waiting.length ?? 0;
  }

  /** Queues `item` on its endpoint's line; false when the line already has `room` items waiting. */
  push(endpoint: Endpoint, item: T, room = this.limits.waitingPerEndpoint): boolean {
    const line = this.lines.get(endpoint.key) ?? { endpoint, waiting: [], active: 0 };
    if (line.waiting.length >= room) return false;
    if (!this.lines.has(endpoint.key)) this.lineOpened(endpoint);
    this.lines.set(endpoint.key, line);
    if (line.waiting.length === 0) this.ring.push(endpoint.key);
    line.waiting.push(item);
    this.waitingCount += 1;
    if (line.waiting.length > this.limits.waitingPerEndpoint) this.pastRoomCount += 1;
    return true;
  }

  /**
   * The next item whose endpoint and host have a free slot, taking turns over the endpoints;
   * the slot is taken until {@link done}. Null when nothing can start.
   */
  next(): { endpoint: Endpoint; item: T } | null {
    for (let tried = 0; tried < this.ring.length; tried++) {
      const index = (this.turn + tried) % this.ring.length;
      const line = this.lines.get(this.ring[index])!;
      const { host, merchant } = line.endpoint;
      const hostActive = this.hosts.get(host) ?? 0;
      const merchantActive = this.merchants.get(merchant) ?? 0;
      const merchantHost = merchantHostOf(line.endpoint);
      const merchantHostActive = this.merchantHosts.get(merchantHost) ?? 0;
      if (line.active >= this.limits.perEndpoint || hostActive >= this.limits.perHost) continue;
      if (merchantActive >= (this.limits.perMerchant ?? Infinity) || merchantHostActive >= (this.limits.perMerchantHost ?? Infinity)) continue;
      if (this.inReserve(merchantActive, merchantHostActive, hostActive)) continue;
      if (this.inMerchantReserve(line, merchantHost, merchantHostActive)) continue;
      if (line.waiting.length > this.limits.waitingPerEndpoint) this.pastRoomCount -= 1;
      const item = line.waiting.shift()!;
      this.waitingCount -= 1;
      line.active += 1;
      this.hosts.set(host, hostActive + 1);
      this.merchants.set(merchant, merchantActive + 1);
      this.activeCount += 1;
      this.merchantHosts.set(merchantHost, merchantHostActive + 1);
      if (line.waiting.length === 0) {
        this.ring.splice(index, 1);
        this.turn = this.ring.length === 0 ? 0 : index % this.ring.length;
      } else {
        this.turn = (index + 1) % this.ring.length;
      }
      return { endpoint: line.endpoint, item };
    }
    return null;
  }

  /** Frees the slot {@link next} took. */
  done(endpoint: Endpoint): void {
    const line = this.lines.get(endpoint.key);
    if (line) {
      line.active -= 1;
      if (line.active === 0 && line.waiting.length === 0) this.closeLine(line);
    }
    release(this.hosts, endpoint.host);
    release(this.merchants, endpoint.merchant);
    this.activeCount -= 1;
    release(this.merchantHosts, merchantHostOf(endpoint));
  }

  /** Removes and returns the waiting items that `drop` selects (all of them without it). */
  remove(drop: (item: T) => boolean = () => true): T[] {
    const removed: T[] = [];
    for (const [key, line] of this.lines) {
      const kept: T[] = [];
      for (const item of line.waiting) (drop(item) ? removed : kept).push(item);
      this.pastRoomCount -= this.beyond(line.waiting.length) - this.beyond(kept.length);
      line.waiting = kept;
      if (kept.length === 0) {
        this.ring = this.ring.filter((other) => other !== key);
        if (line.active === 0) this.closeLine(line);
      }
    }
    this.waitingCount -= removed.length;
    this.turn = this.ring.length === 0 ? 0 : this.turn % this.ring.length;
    return removed;
  }

  /** The next call would take one of the reserved slots of the instance or of its host, which the merchant's calls there rule out. */
  private inReserve(merchantActive: number, merchantHostActive: number, hostActive: number): boolean {
    const reserve = this.limits.reserve;
    if (reserve === undefined) return false;
    return (merchantActive >= reserve.light && this.activeCount >= reserve.slots - reserve.reserved)
      || (merchantHostActive >= reserve.light && hostActive >= this.limits.perHost - reserve.reservedPerHost);
  }

  /**
   * The next call of `line` would take one of its merchant's reserved slots on its host, which its own
   * calls in flight rule out while the merchant has other lines there: see {@link severalOnHost}.
   */
  private inMerchantReserve(line: Line<T>, merchantHost: string, merchantHostActive: number): boolean {
    const reserved = this.limits.reserve?.reservedPerMerchantHost ?? 0;
    if (reserved === 0 || line.active < this.limits.reserve!.light || !this.hostLines.get(merchantHost)?.several) return false;
    return merchantHostActive >= (this.limits.perMerchantHost ?? Infinity) - reserved;
  }

  private lineOpened(endpoint: Endpoint): void {
    const merchantHost = merchantHostOf(endpoint);
    const counted = this.hostLines.get(merchantHost) ?? { lines: 0, several: false };
    counted.lines += 1;
    counted.several ||= counted.lines > 1;
    this.hostLines.set(merchantHost, counted);
  }

  private closeLine(line: Line<T>): void {
    this.lines.delete(line.endpoint.key);
    const merchantHost = merchantHostOf(line.endpoint);
    const counted = this.hostLines.get(merchantHost)!;
    if (--counted.lines === 0) this.hostLines.delete(merchantHost);
  }

  private beyond(waiting: number): number {
    return Math.max(0, waiting - this.limits.waitingPerEndpoint);
  }
}

/** The key of an endpoint's merchant and host, as the per-merchant-host counts use it. */
function merchantHostOf({ merchant, host }: Endpoint): string {
  return `${merchant} ${host}`;
}

/** One call fewer in flight under `key`; the entry goes at zero. */
function release(counts: Map<string, number>, key: string): void {
  const active = (counts.get(key) ?? 1) - 1;
  if (active > 0) counts.set(key, active);
  else counts.delete(key);
}
