import { applyDecorators } from '@nestjs/common';
import { Expose, Transform } from 'class-transformer';
import { IsInt, Matches, Max, Min } from 'class-validator';
import { CommonConfig, parseDurations } from '@ordercast/platform';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value);

/** An integer variable whose error names the variable, as a failed boot should. */
const WholeNumber = (variable: string, min: number, max: number) => {
  const message = `${variable} must be a whole number from ${min} to ${max}`;
  return applyDecorators(Expose({ name: variable }), Transform(toInt), IsInt({ message }), Min(min, { message }), Max(max, { message }));
};

/** order-service's environment: the common variables plus the database pool and the outbox relay. */
export class OrderServiceConfig extends CommonConfig {
  override port = 3000;

  /** Connections to PostgreSQL; every order change holds one for the length of its transaction. */
  @WholeNumber('DATABASE_POOL_SIZE', 2, 200)
  databasePoolSize: number = 10;

  /** How often the relay looks for unsent outbox rows when no commit woke it (the safety net). */
  @WholeNumber('OUTBOX_POLL_MS', 10, 60_000)
  outboxPollMs: number = 500;

  /**
   * Under load, the shortest time from one relay batch to the next: commits that arrive meanwhile
   * are gathered into one batch. Each batch is one Kafka produce request and, on the consumer side,
   * one fetch and one ingest per partition, so a longer interval means fewer, larger requests
   * (measured with the harness broker at 200 messages/s: about 1.2 ms of broker CPU per
   * produce-and-fetch pair) at the cost of up to this much more latency per change. A change that
   * comes after a quiet spell is published at once whatever the value.
   */
  @WholeNumber('OUTBOX_BATCH_INTERVAL_MS', 0, 1_000)
  outboxBatchIntervalMs: number = 10;

  /** How long published outbox rows are kept (for inspection) before they are deleted, e.g. `24h`. */
  @Expose({ name: 'OUTBOX_RETENTION' }) @Matches(/^\d+(\.\d+)?(ms|s|m|h|d)$/, { message: 'OUTBOX_RETENTION must be a duration such as 30m or 24h' })
  outboxRetention: string = '24h';

  /**
   * The largest change event the event bus accepts, in bytes: the topic's `max.message.bytes` (Kafka's
   * default 1,048,588) less the record's own overhead. Every order keeps a byte budget derived from it
   * (see `OrderBudget`), so no change event ever exceeds it. The in-process bus has no limit of its own
   * and is held to the same one, so the embedded default refuses what Kafka would.
   */
  @WholeNumber('KAFKA_MAX_MESSAGE_BYTES', 65_536, 104_857_600)
  kafkaMaxMessageBytes: number = 1_000_000;

  /**
   * Bytes of change events one merchant may publish through this instance per second, on average
   * (see `MerchantPublishRate`); a write past it is refused with 429 and a `Retry-After`. Every event
   * is parsed, matched and stored by notification-service beside every other merchant's, so this
   * bounds what one merchant's loop over large orders takes from the others. The default, 2 MiB/s,
   * is about a hundred changes a second of 10 kB orders (an event carries the order twice). Measured
   * on two cores with a merchant looping 8-way over 90 kB orders: another merchant's webhooks took
   * p50 8.4 s / p99 21 s without a limit, 35 ms / 1.05 s at 4 MiB/s, 21 / 150 ms at 2 MiB/s
   * (10 / 103 ms with nobody looping).
   */
  @WholeNumber('MERCHANT_PUBLISH_BYTES_PER_SECOND', 65_536, 1_073_741_824)
  merchantPublishBytesPerSecond: number = 2 * 1024 * 1024;

  /** How many bytes of change events a merchant may publish at once after a quiet spell (the bucket of MERCHANT_PUBLISH_BYTES_PER_SECOND). */
  @WholeNumber('MERCHANT_PUBLISH_BURST_BYTES', 65_536, 1_073_741_824)
  merchantPublishBurstBytes: number = 8 * 1024 * 1024;

  get outboxRetentionMs(): number {
    return parseDurations(this.outboxRetention)[0];
  }
}
