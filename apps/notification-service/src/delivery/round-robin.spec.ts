import { roundRobin } from './round-robin';

const merchantOf = (item: string) => item.split('-')[0];

describe('roundRobin', () => {
  it("takes one item per key in turn, so a burst of one key leaves places for the others'", () => {
    const items = [...Array.from({ length: 300 }, (_, i) => `noisy-${i}`), 'quiet-0', 'other-0', 'other-1'];
    expect(roundRobin(items, 5, merchantOf)).toEqual(['noisy-0', 'quiet-0', 'other-0', 'noisy-1', 'other-1']);
  });

  it("keeps each key's order and takes everything when there is room", () => {
    const items = ['a-1', 'b-1', 'a-2', 'a-3', 'b-2'];
    expect(roundRobin(items, 10, merchantOf)).toEqual(['a-1', 'b-1', 'a-2', 'b-2', 'a-3']);
    expect(roundRobin(items, 0, merchantOf)).toEqual([]);
    expect(roundRobin([], 3, merchantOf)).toEqual([]);
  });
});
