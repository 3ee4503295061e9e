import { AsyncLocalStorage } from 'node:async_hooks';
import { TurnBatcher } from './turn-batcher';

describe('TurnBatcher', () => {
  function doubler(maxItems = 100) {
    const runs: Array<[string, number[]]> = [];
    const batcher = new TurnBatcher<number, string>(async (group, items) => {
      runs.push([group, items]);
      return items.map((item) => `${group}:${item * 2}`);
    }, { maxItems, maxBytes: 10, sizeOf: (item) => item });
    return { batcher, runs };
  }

  it('runs the items of one group submitted in one turn together, each group apart, and answers each with its own result', async () => {
    const { batcher, runs } = doubler();
    const results = await Promise.all([batcher.submit('shop-1', 1), batcher.submit('shop-1', 2), batcher.submit('shop-2', 3), batcher.submit('shop-1', 2)]);
    expect(results).toEqual(['shop-1:2', 'shop-1:4', 'shop-2:6', 'shop-1:4']);
    expect(runs).toEqual([
      ['shop-1', [1, 2, 2]],
      ['shop-2', [3]],
    ]);
  });

  it('opens a new batch in the next turn, and past maxItems', async () => {
    const { batcher, runs } = doubler(2);
    await Promise.all([batcher.submit('shop-1', 1), batcher.submit('shop-1', 2), batcher.submit('shop-1', 3)]);
    await batcher.submit('shop-1', 4);
    expect(runs).toEqual([
      ['shop-1', [1, 2]],
      ['shop-1', [3]],
      ['shop-1', [4]],
    ]);
  });

  it('closes a batch before an item would take it past maxBytes; a larger item runs alone', async () => {
    const { batcher, runs } = doubler();
    await Promise.all([batcher.submit('shop-1', 4), batcher.submit('shop-1', 5), batcher.submit('shop-1', 3), batcher.submit('shop-1', 12), batcher.submit('shop-1', 1)]);
    expect(runs).toEqual([
      ['shop-1', [4, 5]],
      ['shop-1', [3]],
      ['shop-1', [12]],
      ['shop-1', [1]],
    ]);
  });

  it('fails every submitter of a batch whose run failed, and only those', async () => {
    let fail = true;
    const batcher = new TurnBatcher<number, number>(async (_, items) => (fail ? Promise.reject(new Error('connection lost')) : items));
    const outcomes = await Promise.allSettled([batcher.submit('shop-1', 1), batcher.submit('shop-1', 2)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batcher.submit('shop-1', 3)).resolves.toBe(3);
  });

  it('runs in the async context of the submitter that opened the batch', async () => {
    const context = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const batcher = new TurnBatcher<number, number>(async (_, items) => {
      seen.push(context.getStore());
      return items;
    });
    await Promise.all([context.run('first', () => batcher.submit('shop-1', 1)), context.run('second', () => batcher.submit('shop-1', 2))]);
    expect(seen).toEqual(['first']);
  });
});
