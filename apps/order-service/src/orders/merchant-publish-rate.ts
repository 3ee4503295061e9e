import { MerchantByteRate, TRACKED_MERCHANTS } from '@ordercast/platform';

/** How long the largest copies seen for a channel are still charged up front after a lighter configuration replaced them. */
const COPIES_MEMORY_MS = 60_000;

/**
 * How many bytes of change events each merchant may publish through this instance: `bytesPerSecond`
 * on average, up to `burstBytes` at once. Every change event goes to every notification-service
 * instance's ingest, where it is parsed, matched and stored beside everyone else's, so a merchant
 * rewriting large orders in a tight loop took the CPU that other merchants' webhooks needed. Bytes
 * rather than requests: a change's cost downstream grows with its event, which carries the order twice.
 *
 * A write is charged before its statement and refunded when it writes nothing, so only what is
 * published counts; a new order's event also carries the channel's notifications, which the
 * statement copies in: they are charged up front as last seen and settled after.
 */
export class MerchantPublishRate extends MerchantByteRate {
  /**
   * Bytes of the notifications a channel copies into each new order, per `merchant channel`: as last
   * seen, and the most seen in the last {@link COPIES_MEMORY_MS}, which is what is charged up front, so
   * swapping a heavy configuration in and out between creates does not make them look light.
   */
  private readonly copies = new Map<string, { bytes: number; most: number; mostAt: number }>();

  constructor(bytesPerSecond: number, burstBytes: number, now: () => number = Date.now) {
    super(bytesPerSecond, burstBytes, { activity: 'publishes change events', variable: 'MERCHANT_PUBLISH_BYTES_PER_SECOND', item: "this change's event" }, now);
  }

  /**
   * What a new order in `channel` will carry of the channel's notifications, as last seen (0 before):
   * charged up front with the order's own bytes, so parallel creates cannot pass the burst with copies
   * the request does not show; {@link settleCopies} corrects it once the write tells the real size.
   */
  expectedCopies(merchant: string, channel: string): number {
    const seen = this.copies.get(`${merchant} ${channel}`);
    if (seen === undefined) return 0;
    return this.now() - seen.mostAt < COPIES_MEMORY_MS ? seen.most : seen.bytes;
  }

  /** Notes the channel's copies (a replaced configuration, or a create that carried them). */
  noteCopies(merchant: string, channel: string, bytes: number): void {
    const key = `${merchant} ${channel}`;
    const now = this.now();
    const seen = this.copies.get(key);
    const keepMost = seen !== undefined && now - seen.mostAt < COPIES_MEMORY_MS && seen.most > bytes;
    this.copies.delete(key);
    this.copies.set(key, { bytes, most: keepMost ? seen.most : bytes, mostAt: keepMost ? seen.mostAt : now });
    if (this.copies.size > TRACKED_MERCHANTS) this.copies.delete(this.copies.keys().next().value as string);
  }

  /** After a create that charged `expected` bytes for the channel's copies and carried `actual`: charges or refunds the difference. */
  settleCopies(merchant: string, channel: string, expected: number, actual: number): void {
    this.noteCopies(merchant, channel, actual);
    if (actual > expected) this.charge(merchant, actual - expected);
    else this.refund(merchant, expected - actual);
  }
}
