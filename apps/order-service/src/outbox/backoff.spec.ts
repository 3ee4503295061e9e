import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('starts at 100 ms and doubles', () => {
    expect([1, 2, 3, 4, 5, 6].map(backoffDelay)).toEqual([100, 200, 400, 800, 1600, 3200]);
  });

  it('is capped at 5 s however long the outage lasts', () => {
    expect(backoffDelay(7)).toBe(5000);
    expect(backoffDelay(1000)).toBe(5000);
  });
});
