import { MerchantByteRate } from '@ordercast/platform';

/**
 * How many bytes of deliveries each merchant may create on demand through this instance (manual
 * sends and retries of Events): `bytesPerSecond` on average, up to `burstBytes` at once. A manual
 * send goes to every registration of the order with its whole snapshot, so one merchant triggering
 * large orders in a loop kept the dispatcher and PostgreSQL busy with its calls while other
 * merchants' webhooks waited; change events are bounded in order-service (MERCHANT_PUBLISH_BYTES_PER_SECOND).
 */
export class MerchantSendRate extends MerchantByteRate {
  constructor(bytesPerSecond: number, burstBytes: number, now: () => number = Date.now) {
    super(bytesPerSecond, burstBytes, { activity: 'sends deliveries on demand', variable: 'MERCHANT_SEND_BYTES_PER_SECOND', item: 'this request' }, now);
  }
}
