/** Injection token of the optional {@link PollingOptions}. */
export const POLLING_OPTIONS = Symbol('POLLING_OPTIONS');

export interface PollingOptions {
  /** How long a received, unacknowledged message stays invisible (`POLL_VISIBILITY_MS`); 30 s by default. */
  visibilityMs?: number;
  /** How often expired messages are purged; 1 hour by default, 0 turns the background purge off. */
  purgeIntervalMs?: number;
  /** RETENTION_DAYS: messages older than this are purged even before their 30 days are up. */
  retentionDays?: number;
}

export const DEFAULT_POLL_VISIBILITY_MS = 30_000;
export const DEFAULT_POLL_PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** Unacknowledged messages are redelivered for 30 days, as J.P. Morgan's. */
export const POLL_RETENTION_DAYS = 30;
export const MAX_RECEIVE_MESSAGES = 10;
export const MAX_RECEIVE_TIMEOUT_MS = 20_000;
export const MAX_ACK_MESSAGES = 100;
export const MAX_PERIOD_DAYS = 31;
export const MAX_PERIOD_MESSAGES = 1000;
