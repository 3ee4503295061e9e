import { timeOrderedId } from './time-ordered-id';

describe('timeOrderedId', () => {
  it('is a version 7 UUID with the RFC variant and the time in milliseconds up front', () => {
    const at = Date.UTC(2026, 11, 2, 9, 0, 0, 123);
    const id = timeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('sorts by creation time across milliseconds, and differs within one', () => {
    const ids = [timeOrderedId(1_000), timeOrderedId(1_001), timeOrderedId(2_000_000_000_000)];
    expect([...ids].sort()).toEqual(ids);
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedId(5_000)));
    expect(same.size).toBe(1000);
  });
});
