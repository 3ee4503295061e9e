import { TooManyRequestsException } from '@ordercast/platform';
import { MerchantPublishRate } from './merchant-publish-rate';

describe('MerchantPublishRate', () => {
  let now: number;
  const rate = () => new MerchantPublishRate(1000, 3000, () => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  const refusal = (run: () => void): TooManyRequestsException => {
    try {
      run();
    } catch (error) {
      if (error instanceof TooManyRequestsException) return error;
      throw error;
    }
    throw new Error('not refused');
  };

  it('lets a merchant publish its burst at once, then refuses with the seconds until it may go on', () => {
    const limiter = rate();
    limiter.take('alpha', 2000);
    limiter.take('alpha', 1000);
    const refused = refusal(() => limiter.take('alpha', 1500));
    expect(refused.getStatus()).toBe(429);
    expect(refused.retryAfterSeconds).toBe(2);
    expect(refused.message).toMatch(/merchant alpha publishes change events faster than 1000 bytes per second.*takes 1500 bytes, retry in 2 s/);
    // Another merchant's allowance is its own.
    limiter.take('beta', 3000);
  });

  it('checks before the work without taking: refuses what the allowance cannot cover, at most the burst', () => {
    const limiter = rate();
    limiter.take('alpha', 2500);
    limiter.refuseUnlessAvailable('alpha', 500);
    limiter.refuseUnlessAvailable('alpha', 500);
    const refused = refusal(() => limiter.refuseUnlessAvailable('alpha', 501));
    expect(refused.message).toMatch(/takes at least 501 bytes, retry in 1 s/);
    limiter.take('alpha', 500);
    // A change larger than the burst needs the full allowance, as take asks.
    now += 3000;
    limiter.refuseUnlessAvailable('alpha', 50_000);
    limiter.take('alpha', 1);
    expect(() => limiter.refuseUnlessAvailable('alpha', 50_000)).toThrow(TooManyRequestsException);
  });

  it('spends around work: keeps the bytes of work that used them, refunds work that threw or used nothing', async () => {
    const limiter = rate();
    await expect(limiter.spend('alpha', 2000, async () => Promise.reject(new Error('statement failed')))).rejects.toThrow('statement failed');
    await expect(limiter.spend('alpha', 2000, async () => ({ result: 'nothing written', used: false }))).resolves.toBe('nothing written');
    await expect(limiter.spend('alpha', 2000, async () => ({ result: 'written', used: true }))).resolves.toBe('written');
    expect(refusal(() => limiter.take('alpha', 1001)).retryAfterSeconds).toBe(1);
    limiter.take('alpha', 1000);
  });

  it('tops the allowance up at the rate, never past the burst', () => {
    const limiter = rate();
    limiter.take('alpha', 3000);
    now += 1500;
    limiter.take('alpha', 1500);
    expect(() => limiter.take('alpha', 1)).toThrow(TooManyRequestsException);
    now += 60_000;
    limiter.take('alpha', 3000);
    expect(refusal(() => limiter.take('alpha', 1)).retryAfterSeconds).toBe(1);
  });

  it('takes an event larger than the burst once the allowance is full, and then waits as long as it took', () => {
    const limiter = rate();
    limiter.take('alpha', 5000);
    expect(refusal(() => limiter.take('alpha', 100)).retryAfterSeconds).toBe(3);
    now += 2000;
    expect(() => limiter.take('alpha', 100)).toThrow(TooManyRequestsException);
    now += 1100;
    limiter.take('alpha', 100);
  });

  it('charges bytes learnt after the write without refusing them, so the next writes wait', () => {
    const limiter = rate();
    limiter.take('alpha', 1000);
    limiter.charge('alpha', 4000);
    expect(refusal(() => limiter.take('alpha', 1)).retryAfterSeconds).toBe(3);
    now += 2000;
    expect(() => limiter.take('alpha', 1)).toThrow(TooManyRequestsException);
    now += 1000;
    limiter.take('alpha', 1);
  });

  it("remembers a channel's copies per merchant and settles a create's difference", () => {
    const limiter = rate();
    expect(limiter.expectedCopies('alpha', 'web')).toBe(0);
    limiter.noteCopies('alpha', 'web', 1500);
    expect(limiter.expectedCopies('alpha', 'web')).toBe(1500);
    expect(limiter.expectedCopies('beta', 'web')).toBe(0);
    limiter.take('alpha', 100 + 1500);
    // The create carried 2000 bytes of copies: 500 more are charged, and 2000 is expected next time.
    limiter.settleCopies('alpha', 'web', 1500, 2000);
    expect(limiter.expectedCopies('alpha', 'web')).toBe(2000);
    limiter.take('alpha', 900);
    expect(() => limiter.take('alpha', 1)).toThrow(TooManyRequestsException);
    // Fewer than expected: the difference comes back.
    limiter.settleCopies('alpha', 'web', 2000, 0);
    limiter.take('alpha', 2000);
  });

  it('charges the largest copies of the last minute up front, so swapping a heavy configuration out does not make creates look light', () => {
    const limiter = rate();
    limiter.noteCopies('alpha', 'web', 2500);
    limiter.noteCopies('alpha', 'web', 0);
    expect(limiter.expectedCopies('alpha', 'web')).toBe(2500);
    limiter.settleCopies('alpha', 'web', 2500, 0);
    expect(limiter.expectedCopies('alpha', 'web')).toBe(2500);
    now += 60_000;
    expect(limiter.expectedCopies('alpha', 'web')).toBe(0);
  });

  it('gives back a refunded write, up to the burst', () => {
    const limiter = rate();
    limiter.take('alpha', 3000);
    limiter.refund('alpha', 3000);
    limiter.take('alpha', 3000);
    limiter.refund('alpha', 10_000);
    limiter.take('alpha', 3000);
    expect(() => limiter.take('alpha', 1)).toThrow(TooManyRequestsException);
  });
});
