import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { installLeanAsyncResourceBind } from './lean-async-resource-bind';

describe('installLeanAsyncResourceBind', () => {
  beforeAll(() => installLeanAsyncResourceBind());

  it('replaces Node’s bind, once, whatever number of calls', () => {
    const replaced = AsyncResource.prototype.bind;
    installLeanAsyncResourceBind();
    expect(AsyncResource.prototype.bind).toBe(replaced);
    expect(Object.getOwnPropertyNames(AsyncResource.bind(() => undefined))).not.toContain('asyncResource');
  });

  it('runs the bound function in the async context it was bound in, not the caller’s', () => {
    const storage = new AsyncLocalStorage<string>();
    const bound = storage.run('request A', () => AsyncResource.bind(() => storage.getStore()));
    const instanceBound = storage.run('request B', () => new AsyncResource('test').bind(() => storage.getStore()));
    expect(storage.run('caller', bound)).toBe('request A');
    expect(storage.run('caller', instanceBound)).toBe('request B');
    expect(bound()).toBe('request A');
  });

  it('passes arguments and the return value through, with the caller’s this unless one was given', () => {
    function describeCall(this: unknown, a: number, b: number): [unknown, number] {
      return [this, a + b];
    }
    const target = { name: 'target' };
    const free = new AsyncResource('test').bind(describeCall);
    const fixed = AsyncResource.bind(describeCall, 'test', target);
    const holder = { free, fixed };
    expect(holder.free(1, 2)).toEqual([holder, 3]);
    expect(holder.fixed(1, 2)).toEqual([target, 3]);
    expect(free.length).toBe(2);
  });

  it('throws what the function throws, and refuses what is not a function', () => {
    const failing = AsyncResource.bind(() => {
      throw new Error('inside');
    });
    expect(failing).toThrow('inside');
    expect(() => new AsyncResource('test').bind(42 as unknown as () => void)).toThrow(TypeError);
  });
});
