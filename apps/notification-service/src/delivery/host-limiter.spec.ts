import { HostLimiter } from './host-limiter';

describe('HostLimiter', () => {
  it('lets perHost calls in per host and queues the rest in order', async () => {
    const limiter = new HostLimiter(2);
    const started: string[] = [];
    const run = (host: string, name: string) => limiter.acquire(host).then(() => started.push(name));
    await Promise.all([run('a', 'a1'), run('a', 'a2'), run('b', 'b1')]);
    const waiting = [run('a', 'a3'), run('a', 'a4')];
    await Promise.resolve();
    expect(started).toEqual(['a1', 'a2', 'b1']);
    limiter.release('a');
    await waiting[0];
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    limiter.release('a');
    await waiting[1];
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
  });

  it('frees the slot when nobody waits', async () => {
    const limiter = new HostLimiter(1);
    await limiter.acquire('a');
    limiter.release('a');
    let acquired = false;
    await limiter.acquire('a').then(() => (acquired = true));
    expect(acquired).toBe(true);
  });
});
