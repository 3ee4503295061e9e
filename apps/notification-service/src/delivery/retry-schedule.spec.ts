import { maxAttempts, parseRetryAfter, retryDelay, RetryPolicy } from './retry-schedule';

const policy: RetryPolicy = { delaysMs: [5_000, 300_000, 1_800_000], retryAfterMaxMs: 3_600_000 };
const now = new Date('2025-01-01T12:00:00.000Z');
const failure = (attempt: number, statusCode: number | null = 500, retryAfter: string | null = null) => ({ attempt, statusCode, retryAfter });
const middle = () => 0.5;

describe('retry schedule', () => {
  it('counts the first attempt plus one per scheduled delay', () => {
    expect(maxAttempts(policy)).toBe(4);
    expect(maxAttempts({ ...policy, delaysMs: [] })).toBe(1);
  });

  it('waits the scheduled delay of the failed attempt', () => {
    expect(retryDelay(failure(1), policy, now, middle)).toBe(5_000);
    expect(retryDelay(failure(2), policy, now, middle)).toBe(300_000);
    expect(retryDelay(failure(3), policy, now, middle)).toBe(1_800_000);
  });

  it('gives up after the last scheduled delay', () => {
    expect(retryDelay(failure(4), policy, now, middle)).toBeNull();
  });

  it('adds at most ±20 % jitter', () => {
    expect(retryDelay(failure(1), policy, now, () => 0)).toBe(4_000);
    expect(retryDelay(failure(1), policy, now, () => 0.999999)).toBe(6_000);
    for (let i = 0; i < 1000; i++) {
      const delay = retryDelay(failure(2), policy, now) as number;
      expect(delay).toBeGreaterThanOrEqual(240_000);
      expect(delay).toBeLessThanOrEqual(360_000);
    }
  });

  it.each([429, 503])('honours a later Retry-After in seconds on %i', (status) => {
    expect(retryDelay(failure(1, status, '120'), policy, now, middle)).toBe(120_000);
  });

  it('honours Retry-After as an HTTP date', () => {
    expect(retryDelay(failure(1, 503, 'Wed, 01 Jan 2025 12:10:00 GMT'), policy, now, middle)).toBe(600_000);
  });

  it('never retries sooner than scheduled because of Retry-After', () => {
    expect(retryDelay(failure(2, 429, '1'), policy, now, middle)).toBe(300_000);
    expect(retryDelay(failure(1, 429, 'Wed, 01 Jan 2025 11:00:00 GMT'), policy, now, middle)).toBe(5_000);
  });

  it('caps Retry-After at the configured maximum', () => {
    expect(retryDelay(failure(1, 429, '86400'), policy, now, middle)).toBe(3_600_000);
  });

  it('ignores Retry-After on other status codes and when unreadable', () => {
    expect(retryDelay(failure(1, 500, '120'), policy, now, middle)).toBe(5_000);
    expect(retryDelay(failure(1, null, '120'), policy, now, middle)).toBe(5_000);
    expect(retryDelay(failure(1, 429, 'soon'), policy, now, middle)).toBe(5_000);
  });

  it('does not give Retry-After an extra attempt past the schedule', () => {
    expect(retryDelay(failure(4, 429, '10'), policy, now, middle)).toBeNull();
  });

  it.each([
    ['30', 30_000],
    [' 0 ', 0],
    ['Wed, 01 Jan 2025 12:00:30 GMT', 30_000],
    ['Wed, 01 Jan 2025 11:00:00 GMT', 0],
    ['', null],
    [null, null],
    ['-5', null],
    ['1.5', null],
    ['tomorrow-ish', null],
  ])('parses Retry-After %p as %p ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});
