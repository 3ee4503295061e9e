import { TooManyRequestsException } from './too-many-requests';

/** Merchants whose allowance is tracked; past it, those whose allowance is full again are forgotten (they are as new). */
export const TRACKED_MERCHANTS = 10_000;

interface Allowance {
  bytes: number;
  /** Epoch ms the allowance was last topped up to. */
  at: number;
}

/** How a refusal names what was too fast: `merchant alpha <activity> faster than N bytes per second (<variable>); <item> takes M bytes`. */
export interface ByteRateWording {
  activity: string;
  variable: string;
  item: string;
}

/**
 * A per-merchant token bucket of bytes: `bytesPerSecond` on average, up to `burstBytes` at once.
 * What is taken is charged before the work and refunded when the work did nothing; what only the
 * work tells is charged after it (never refused; the next requests wait for it). Something larger
 * than the burst needs a full allowance, so it is never refused for good. Kept per instance, in
 * memory: behind N instances a merchant may use N times as much.
 */
export class MerchantByteRate {
  private readonly allowances = new Map<string, Allowance>();

  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
    private readonly wording: ByteRateWording,
    protected readonly now: () => number = Date.now,
  ) {}

  /** Takes `bytes` from the merchant's allowance, or refuses with a 429 saying when it will have them. */
  take(merchant: string, bytes: number): void {
    this.refuseUnless(merchant, bytes, 'takes');
    this.toppedUp(merchant).bytes -= bytes;
  }

  /**
   * Refuses with a 429, taking nothing, unless the allowance covers `atLeastBytes` now (at most the
   * burst). Before work whose exact size only the work tells, with a size it cannot be below: a
   * request the allowance cannot pay for is refused before it costs anything.
   */
  refuseUnlessAvailable(merchant: string, atLeastBytes: number): void {
    this.refuseUnless(merchant, atLeastBytes, 'takes at least');
  }

  private refuseUnless(merchant: string, bytes: number, takes: string): void {
    const allowance = this.toppedUp(merchant);
    const needed = Math.min(bytes, this.burstBytes);
    if (allowance.bytes < needed) throw this.refusal(merchant, bytes, needed - allowance.bytes, takes);
  }

  /**
   * Runs `work` with `bytes` taken from the allowance (a 429 first when it cannot cover them),
   * refunded when the work throws or reports it used nothing.
   */
  async spend<T>(merchant: string, bytes: number, work: () => Promise<{ result: T; used: boolean }>): Promise<T> {
    this.take(merchant, bytes);
    let used = false;
    try {
      const outcome = await work();
      used = outcome.used;
      return outcome.result;
    } finally {
      if (!used) this.refund(merchant, bytes);
    }
  }

  /**
   * The bytes the merchant may use right now, for work whose size only the work tells (charged
   * after it with {@link charge}); a 429 when it has not a byte left.
   */
  availableOrRefuse(merchant: string): number {
    this.refuseUnless(merchant, 1, 'takes');
    return Math.floor(this.toppedUp(merchant).bytes);
  }

  /** Counts `bytes` beyond what {@link take} was asked for (learnt only from the work); never refuses, the next requests wait for it. */
  charge(merchant: string, bytes: number): void {
    if (bytes > 0) this.toppedUp(merchant).bytes -= bytes;
  }

  /** Gives back what {@link take} took for work that did nothing. */
  refund(merchant: string, bytes: number): void {
    const allowance = this.allowances.get(merchant);
    if (allowance && bytes > 0) allowance.bytes = Math.min(this.burstBytes, allowance.bytes + bytes);
  }

  private refusal(merchant: string, bytes: number, missing: number, takes: string): TooManyRequestsException {
    const seconds = Math.max(1, Math.ceil(missing / this.bytesPerSecond));
    const { activity, variable, item } = this.wording;
    return new TooManyRequestsException(
      `merchant ${merchant} ${activity} faster than ${this.bytesPerSecond} bytes per second (${variable}); ${item} ${takes} ${bytes} bytes, retry in ${seconds} s`,
      seconds,
    );
  }

  private toppedUp(merchant: string): Allowance {
    const now = this.now();
    let allowance = this.allowances.get(merchant);
    if (allowance === undefined) {
      if (this.allowances.size >= TRACKED_MERCHANTS) this.forgetIdle(now);
      allowance = { bytes: this.burstBytes, at: now };
      this.allowances.set(merchant, allowance);
      return allowance;
    }
    allowance.bytes = Math.min(this.burstBytes, allowance.bytes + ((now - allowance.at) * this.bytesPerSecond) / 1000);
    allowance.at = now;
    return allowance;
  }

  private forgetIdle(now: number): void {
    for (const [merchant, allowance] of this.allowances) {
      if (allowance.bytes + ((now - allowance.at) * this.bytesPerSecond) / 1000 >= this.burstBytes) this.allowances.delete(merchant);
    }
  }
}
