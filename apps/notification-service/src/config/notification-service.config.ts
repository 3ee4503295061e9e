import { applyDecorators } from '@nestjs/common';
import { Expose, Transform } from 'class-transformer';
import { IsOptional, Matches, MaxLength, ValidateBy } from 'class-validator';
import { CommonConfig, DURATIONS_PATTERN, parseDurations } from '@ordercast/platform';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value);

/** An integer environment variable within bounds; messages name the variable, not the property. */
function IntVariable(name: string, min: number, max: number): PropertyDecorator {
  const inRange = ValidateBy({
    name: 'intInRange',
    validator: {
      validate: (value: unknown) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
      defaultMessage: () => `${name} must be an integer from ${min} to ${max}`,
    },
  });
  return applyDecorators(Expose({ name }), Transform(toInt), inRange);
}

/** Environment of notification-service; every variable is validated at boot. */
export class NotificationServiceConfig extends CommonConfig {
  override port: number = 3001;

  /** Delays between automatic attempts; its length is the number of retries after the first attempt. */
  @Expose({ name: 'RETRY_SCHEDULE' }) @Matches(DURATIONS_PATTERN, { message: 'RETRY_SCHEDULE must be comma-separated durations such as 5s,5m,30m or 200ms,400ms' })
  retrySchedule: string = '5s,5m,30m,2h,5h,10h,14h,20h,24h';

  @IntVariable('DELIVERY_TIMEOUT_MS', 100, 120_000)
  deliveryTimeoutMs: number = 10_000;

  @IntVariable('RETENTION_DAYS', 1, 3650)
  retentionDays: number = 30;

  /** Rows one dispatcher claims per query. */
  @IntVariable('DISPATCH_BATCH', 1, 1000)
  dispatchBatch: number = 200;

  /** Deliveries in flight per instance. */
  @IntVariable('DISPATCH_CONCURRENCY', 1, 5000)
  dispatchConcurrency: number = 256;

  /**
   * Deliveries in flight per instance to one merchant's endpoint (merchant and target origin), so one
   * merchant's slow receiver cannot take the slots of anyone else; as many more wait for a slot in memory.
   */
  @IntVariable('PER_TARGET_CONCURRENCY', 1, 1000)
  perTargetConcurrency: number = 64;

  /** Deliveries in flight per instance to one host name, whatever the merchant or port: protects the receiver. */
  @IntVariable('PER_HOST_CONCURRENCY', 1, 5000)
  perHostConcurrency: number = 128;

  /**
   * How long a claimed row stays reserved for its dispatcher. Held rows are renewed every quarter of it,
   * so it bounds only how long a row stays stuck when its holder hangs without dying; a dead holder's
   * rows are released sooner, by its heartbeat (INSTANCE_TIMEOUT_MS).
   */
  @IntVariable('LEASE_MS', 1000, 3_600_000)
  leaseMs: number = 120_000;

  /** How often an instance writes its heartbeat and looks for instances whose heartbeat stopped. */
  @IntVariable('INSTANCE_HEARTBEAT_MS', 100, 60_000)
  instanceHeartbeatMs: number = 1000;

  /**
   * Silence after which an instance counts as dead and any live one releases its leases. An instance
   * sends nothing once its own last heartbeat is half this old, so it never sends a row it may have lost.
   */
  @IntVariable('INSTANCE_TIMEOUT_MS', 500, 600_000)
  @ValidateBy({
    name: 'timeoutAboveHeartbeat',
    validator: {
      validate: (value: unknown, args) => typeof value === 'number' && value >= 3 * (args?.object as NotificationServiceConfig).instanceHeartbeatMs,
      defaultMessage: () => 'INSTANCE_TIMEOUT_MS must be at least three times INSTANCE_HEARTBEAT_MS',
    },
  })
  instanceTimeoutMs: number = 5000;

  /** Safety-net polling for due rows; new rows are handed to the local dispatcher directly. */
  @IntVariable('DISPATCH_POLL_MS', 10, 60_000)
  dispatchPollMs: number = 500;

  /** Longest a completed attempt waits before its result is written, so results are written in batches. */
  @IntVariable('RESULT_FLUSH_MS', 1, 5000)
  resultFlushMs: number = 20;

  /** Consecutive failures (5xx, redirects, timeouts, refused connections; never 4xx) of one merchant's endpoint that open its circuit. */
  @IntVariable('CIRCUIT_FAILURE_THRESHOLD', 1, 10_000)
  circuitFailureThreshold: number = 5;

  /**
   * Merchants whose endpoints on one host must each fail CIRCUIT_FAILURE_THRESHOLD times in a row
   * without an answer (timeouts, refused connections) before the whole host is paused for everyone.
   */
  @IntVariable('CIRCUIT_HOST_MERCHANTS', 2, 1000)
  circuitHostMerchants: number = 3;

  /** How long an open circuit holds deliveries to its endpoint (or host) back before one probe is let through. */
  @IntVariable('CIRCUIT_COOLDOWN_MS', 10, 3_600_000)
  circuitCooldownMs: number = 30_000;

  /** One alert of a type per merchant endpoint in this period at most (`endpoint.recovered` only follows a sent `endpoint.failing`). */
  @IntVariable('ALERT_DEBOUNCE_MS', 0, 604_800_000)
  alertDebounceMs: number = 3_600_000;

  /**
   * Bytes of deliveries one merchant may create on demand per second through this instance (manual
   * sends, retries of Events; see `MerchantSendRate`), and at once: past it such a request gets 429
   * with `Retry-After`. A manual send carries the order to every registration of it.
   */
  @IntVariable('MERCHANT_SEND_BYTES_PER_SECOND', 65_536, 1_073_741_824)
  merchantSendBytesPerSecond: number = 2 * 1024 * 1024;

  @IntVariable('MERCHANT_SEND_BURST_BYTES', 65_536, 1_073_741_824)
  merchantSendBurstBytes: number = 8 * 1024 * 1024;

  /** Upper bound for a receiver's `Retry-After`. */
  @IntVariable('RETRY_AFTER_MAX_MS', 0, 86_400_000)
  retryAfterMaxMs: number = 3_600_000;

  /**
   * How soon Kafka hands a dead instance's partitions to the others (its change events wait that long).
   * Between the broker's group.min.session.timeout.ms and group.max.session.timeout.ms (6 s and 30 min by default).
   */
  @IntVariable('KAFKA_SESSION_TIMEOUT_MS', 1000, 1_800_000)
  kafkaSessionTimeoutMs: number = 10_000;

  @IntVariable('DATABASE_POOL_SIZE', 2, 200)
  databasePoolSize: number = 20;

  /** How long a received, unacknowledged poll message stays invisible before it can be received again. */
  @IntVariable('POLL_VISIBILITY_MS', 100, 43_200_000)
  pollVisibilityMs: number = 30_000;

  /** How long a retired JWS signing key stays in the JWKS, so signatures made just before a rotation still verify. */
  @IntVariable('SIGNING_KEY_GRACE_MS', 0, 90 * 86_400_000)
  signingKeyGraceMs: number = 7 * 86_400_000;

  /** The JWKS's Cache-Control max-age, and so how long a rotated-in signing key is published before it signs. */
  @IntVariable('JWKS_MAX_AGE_SECONDS', 0, 86_400)
  jwksMaxAgeSeconds: number = 300;

  /** SMTP server of `delivery: email`; without it every email attempt fails (and is retried) with "SMTP_URL is not configured". */
  @Expose({ name: 'SMTP_URL' }) @IsOptional() @Matches(/^smtps?:\/\/[^/?#\s]+/i, { message: 'SMTP_URL must be an smtp:// or smtps:// URL with a host, such as smtp://user:pass@mail.example.com:587' })
  smtpUrl?: string;

  /** The From of notification emails, such as `Shop <orders@shop.example>`. */
  @Expose({ name: 'SMTP_FROM' }) @IsOptional() @MaxLength(320, { message: 'SMTP_FROM must be at most 320 characters' })
  smtpFrom?: string;

  /**
   * A PEM file of CA certificates trusted beside the system ones for https targets, token URLs and
   * Kafka brokers with `ssl` (receivers behind a private CA, as banks often are).
   */
  @Expose({ name: 'TARGET_CA_FILE' }) @IsOptional() @MaxLength(4096, { message: 'TARGET_CA_FILE must be a file path of at most 4096 characters' })
  targetCaFile?: string;

  /** Delays of the automatic retries in milliseconds. */
  get retryDelaysMs(): number[] {
    return parseDurations(this.retrySchedule);
  }
}
