import { KeyedLine } from './keyed-line';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedLine', () => {
  it('runs the work of one key one after another, in call order, whatever the one before did', async () => {
    const line = new KeyedLine(10_000);
    const log: string[] = [];
    let release!: () => void;
    const first = line.run('a', async () => {
      log.push('first start');
      await new Promise<void>((resolve) => (release = resolve));
      log.push('first end');
      throw new Error('first failed');
    });
    const second = line.run('a', async () => {
      log.push('second');
      return 2;
    });
    const other = line.run('b', async () => {
      log.push('other key');
      return 'b';
    });
    await tick();
    expect(log).toEqual(['first start', 'other key']);
    release();
    await expect(first).rejects.toThrow('first failed');
    await expect(second).resolves.toBe(2);
    await expect(other).resolves.toBe('b');
    expect(log).toEqual(['first start', 'other key', 'first end', 'second']);
    expect(line.size).toBe(0);
  });

  it('forgets a key once its line is empty, also after work that threw synchronously inside', async () => {
    const line = new KeyedLine(10_000);
    await expect(line.run('a', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(line.size).toBe(0);
    await expect(line.run('a', async () => 1)).resolves.toBe(1);
    expect(line.size).toBe(0);
  });

  it('runs a call anyway once the one in front has run for its patience', async () => {
    const line = new KeyedLine(30);
    const log: string[] = [];
    const stuck = line.run('a', () => new Promise<never>(() => undefined));
    const started = Date.now();
    await line.run('a', async () => log.push('behind'));
    expect(log).toEqual(['behind']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    void stuck;
  });

  it('never gives up on a line that moves, however long it waits in total', async () => {
    const line = new KeyedLine(30);
    const order: number[] = [];
    let running = 0;
    let overlapped = false;
    const calls = Array.from({ length: 10 }, (_, index) =>
      line.run('a', async () => {
        running += 1;
        if (running > 1) overlapped = true;
        await new Promise((resolve) => setTimeout(resolve, 10));
        order.push(index);
        running -= 1;
      }),
    );
    await Promise.all(calls);
    // 100 ms of work in line, each call well within the patience: one at a time, in call order.
    expect(overlapped).toBe(false);
    expect(order).toEqual([...Array(10).keys()]);
    expect(line.size).toBe(0);
  });
});
