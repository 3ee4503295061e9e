import { AsyncLocalStorage } from 'node:async_hooks';
import { ReadCoalescer } from './read-coalescer';

describe('ReadCoalescer', () => {
  const rows = new Map([
    ['shop-1', new Map([['a', { id: 'a' }], ['b', { id: 'b' }]])],
    ['shop-2', new Map([['a', { id: 'a2' }]])],
  ]);

  function coalescer(maxKeys = 100) {
    const loads: Array<[string, string[]]> = [];
    const reads = new ReadCoalescer<{ id: string }>(
      async (group, keys) => {
        loads.push([group, keys]);
        return new Map(keys.flatMap((key) => (rows.get(group)?.has(key) ? [[key, rows.get(group)!.get(key)!] as const] : [])));
      },
      (row) => ({ ...row }),
      maxKeys,
    );
    return { reads, loads };
  }

  it('reads the keys of one group asked for in one turn with one load, and each group apart', async () => {
    const { reads, loads } = coalescer();
    const answers = await Promise.all([reads.read('shop-1', 'a'), reads.read('shop-1', 'b'), reads.read('shop-1', 'missing'), reads.read('shop-2', 'a')]);
    expect(answers).toEqual([{ id: 'a' }, { id: 'b' }, undefined, { id: 'a2' }]);
    expect(loads).toEqual([
      ['shop-1', ['a', 'b', 'missing']],
      ['shop-2', ['a']],
    ]);
  });

  it('asks for a key once however many callers want it, and gives each caller its own row', async () => {
    const { reads, loads } = coalescer();
    const [first, second] = await Promise.all([reads.read('shop-1', 'a'), reads.read('shop-1', 'a')]);
    expect(loads).toEqual([['shop-1', ['a']]]);
    expect(first).toEqual(second);
    expect(first).not.toBe(second);
  });

  it('opens a new batch in the next turn, and past maxKeys', async () => {
    const { reads, loads } = coalescer(2);
    await Promise.all([reads.read('shop-1', 'a'), reads.read('shop-1', 'b'), reads.read('shop-1', 'c')]);
    await reads.read('shop-1', 'a');
    expect(loads).toEqual([
      ['shop-1', ['a', 'b']],
      ['shop-1', ['c']],
      ['shop-1', ['a']],
    ]);
  });

  it('fails every caller of a batch whose load failed', async () => {
    const reads = new ReadCoalescer<string>(async () => Promise.reject(new Error('connection lost')), (row) => row);
    const outcomes = await Promise.allSettled([reads.read('shop-1', 'a'), reads.read('shop-1', 'b')]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
  });

  it('loads in the async context of the caller that opened the batch', async () => {
    const context = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const reads = new ReadCoalescer<string>(async (_, keys) => {
      seen.push(context.getStore());
      return new Map(keys.map((key) => [key, key]));
    }, (row) => row);
    await Promise.all([context.run('first', () => reads.read('shop-1', 'a')), context.run('second', () => reads.read('shop-1', 'b'))]);
    expect(seen).toEqual(['first']);
  });
});
