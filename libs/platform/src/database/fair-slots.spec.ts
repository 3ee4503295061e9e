import { FairSlots } from './fair-slots';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FairSlots', () => {
  it('lets anyone in while slots are free, then gives a freed slot to the waiting owner holding fewest', async () => {
    const slots = new FairSlots(2, 10_000, 'timeout exceeded when trying to connect');
    await slots.acquire('alpha');
    await slots.acquire('alpha');
    const order: string[] = [];
    const alphas = [1, 2, 3].map((n) => slots.acquire('alpha').then(() => order.push(`alpha${n}`)));
    const beta = slots.acquire('beta').then(() => order.push('beta'));
    await tick();
    expect(order).toEqual([]);

    slots.release('alpha');
    await tick();
    // beta holds none, alpha one: beta first, although alpha's waiters asked before it.
    expect(order).toEqual(['beta']);
    slots.release('beta');
    await tick();
    expect(order).toEqual(['beta', 'alpha1']);
    slots.release('alpha');
    slots.release('alpha');
    await Promise.all([...alphas, beta]);
    expect(order).toEqual(['beta', 'alpha1', 'alpha2', 'alpha3']);
    expect(slots.holding('alpha')).toBe(2);
  });

  it('gives up on a waiter after the timeout, with the message the database filter knows, and forgets it', async () => {
    const slots = new FairSlots(1, 20, 'timeout exceeded when trying to connect');
    await slots.acquire('alpha');
    await expect(slots.acquire('beta')).rejects.toThrow('timeout exceeded when trying to connect');
    slots.release('alpha');
    await expect(slots.acquire('beta')).resolves.toBeUndefined();
    expect(slots.holding('beta')).toBe(1);
    expect(slots.holding('alpha')).toBe(0);
  });
});
