import { deepEqual } from './deep-equal';

describe('deepEqual', () => {
  it.each([
    [1, 1], ['a', 'a'], [null, null], [undefined, undefined], [[1, [2]], [1, [2]]], [{ a: 1, b: { c: [1] } }, { b: { c: [1] }, a: 1 }],
  ])('%p equals %p', (a, b) => expect(deepEqual(a, b)).toBe(true));

  it.each([
    [1, '1'], [null, undefined], [null, {}], [[1, 2], [2, 1]], [[1], { 0: 1 }], [{ a: 1 }, { a: 1, b: 2 }], [{ a: 1, b: 2 }, { a: 1, c: 2 }], [{ a: undefined }, { a: null }],
  ])('%p differs from %p', (a, b) => expect(deepEqual(a, b)).toBe(false));
});
