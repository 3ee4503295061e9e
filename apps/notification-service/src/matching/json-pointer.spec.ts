import { valueAtPointer } from './json-pointer';

describe('valueAtPointer', () => {
  const document = { a: { b: [10, { c: 'x' }] }, 'm/n': 1, 'k~l': 2, '': 3 };

  it.each([
    ['', document],
    ['/a/b/0', 10],
    ['/a/b/1/c', 'x'],
    ['/m~1n', 1],
    ['/k~0l', 2],
    ['/', 3],
  ])('resolves %p', (pointer, expected) => {
    expect(valueAtPointer(document, pointer)).toEqual(expected);
  });

  it.each(['/a/b/2', '/a/b/-', '/a/b/01', '/a/x', '/a/b/0/deeper', '/toString', '/a/__proto__'])('gives undefined for %p', (pointer) => {
    expect(valueAtPointer(document, pointer)).toBeUndefined();
  });
});
