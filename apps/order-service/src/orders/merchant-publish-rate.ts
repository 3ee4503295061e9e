import { TooManyRequestsException } from '@ordercast/platform';

/** Merchants whose allowance is tracked; past it, those whose allowance is full again are forgotten (they are as new). */
const TRACKED_MERCHANTS = 10_000;

interface Allowance {
  bytes: number;
  /** Epoch ms the allowance was last topped up to. */
  at: number;
}

/**
 * How many bytes of change events each merchant may publish through this instance: `bytesPerSecond`
 * on average, up to `burstBytes` at once (a token bucket per merchant). Every change event goes to
 * every notification-service instance's ingest, where it is parsed, matched and stored beside
 * everyone else's, so a merchant rewriting large orders in a tight loop took the CPU that other
 * merchants' webhooks needed. Bytes rather than requests: a change's cost downstream grows with its
 * event, which carries the order twice.
 *
 * A write is charged before its statement and refunded when it writes nothing, so only what is
 * published counts. An event larger than the burst needs a full allowance, so it is never refused
 * for good. Kept per instance, in memory: behind N instances a merchant may publish N times as much.
 */
export class MerchantPublishRate {
  private readonly allowances = new Map<string, Allowance>();
  /** Bytes of the notifications a channel copies into each new order, per `merchant channel`, as last seen. */
  private readonly copies = new Map<string, number>();

  constructor(
    readonly bytesPerSecond: number,
    readonly burstBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `bytes` from the merchant's allowance, or refuses with a 429 saying when it will have them. */
  take(merchant: string, bytes: number): void {
    const allowance = this.toppedUp(merchant);
    const needed = Math.min(bytes, this.burstBytes);
    if (allowance.bytes < needed) {
      const seconds = Math.max(1, Math.ceil((needed - allowance.bytes) / this.bytesPerSecond));
      throw new TooManyRequestsException(
        `merchant ${merchant} publishes change events faster than ${this.bytesPerSecond} bytes per second (MERCHANT_PUBLISH_BYTES_PER_SECOND); ` +
          `this change's event takes ${bytes} bytes, retry in ${seconds} s`,
        seconds,
      );
    }
    allowance.bytes -= bytes;
  }

  /** Counts `bytes` published beyond what {@link take} was asked for (learnt only from the write); never refuses, the next writes wait for it. */
  charge(merchant: string, bytes: number): void {
    if (bytes > 0) this.toppedUp(merchant).bytes -= bytes;
  }

  /**
   * What a new order in `channel` will carry of the channel's notifications, as last seen (0 before):
   * charged up front with the order's own bytes, so parallel creates cannot pass the burst with copies
   * the request does not show; {@link settleCopies} corrects it once the write tells the real size.
   */
  expectedCopies(merchant: string, channel: string): number {
    return this.copies.get(`${merchant} ${channel}`) ?? 0;
  }

  /** Notes the channel's copies (a replaced configuration, or a create that carried them). */
  noteCopies(merchant: string, channel: string, bytes: number): void {
    const key = `${merchant} ${channel}`;
    this.copies.delete(key);
    this.copies.set(key, bytes);
    if (this.copies.size > TRACKED_MERCHANTS) this.copies.delete(this.copies.keys().next().value as string);
  }

  /** After a create that charged `expected` bytes for the channel's copies and carried `actual`: charges or refunds the difference. */
  settleCopies(merchant: string, channel: string, expected: number, actual: number): void {
    this.noteCopies(merchant, channel, actual);
    if (actual > expected) this.charge(merchant, actual - expected);
    else this.refund(merchant, expected - actual);
  }

  /** Gives back what {@link take} took for a write that wrote nothing. */
  refund(merchant: string, bytes: number): void {
    const allowance = this.allowances.get(merchant);
    if (allowance) allowance.bytes = Math.min(this.burstBytes, allowance.bytes + bytes);
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
