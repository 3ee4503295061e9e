import { bodyShapeProblem, MAX_ARRAY_ITEMS, MAX_BODY_DEPTH, MAX_BODY_VALUES, MAX_OBJECT_KEYS } from './configure-http-app';

const nested = (depth: number): unknown => (depth === 0 ? 'leaf' : { child: nested(depth - 1) });

describe('bodyShapeProblem', () => {
  it('accepts ordinary bodies, up to the depth limit', () => {
    expect(bodyShapeProblem({ currency: 'SEK', cart: { items: [{ reference: 'a', quantity: 1 }] } })).toBeNull();
    expect(bodyShapeProblem(nested(MAX_BODY_DEPTH))).toBeNull();
    expect(bodyShapeProblem(undefined)).toBeNull();
  });

  it('refuses nesting beyond the limit, without recursing itself', () => {
    expect(bodyShapeProblem(nested(MAX_BODY_DEPTH + 1))).toMatch(/nested deeper/);
    expect(bodyShapeProblem(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)))).toMatch(/nested deeper/);
  });

  it('refuses an object with more keys than the limit, and an array with more items than the limit, at any level', () => {
    const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 1]));
    expect(bodyShapeProblem({ customer: keys(MAX_OBJECT_KEYS) })).toBeNull();
    expect(bodyShapeProblem({ customer: { address: keys(MAX_OBJECT_KEYS + 1) } })).toBe(`request body has an object with ${MAX_OBJECT_KEYS + 1} keys; at most ${MAX_OBJECT_KEYS} in one object`);
    expect(bodyShapeProblem({ items: Array.from({ length: MAX_ARRAY_ITEMS }, () => ({})) })).toBeNull();
    expect(bodyShapeProblem({ cart: { items: Array.from({ length: MAX_ARRAY_ITEMS + 1 }, () => ({})) } })).toBe(`request body has an array of ${MAX_ARRAY_ITEMS + 1} items; at most ${MAX_ARRAY_ITEMS} in one array`);
  });

  it('counts every value, the body itself included, in arrays and objects alike, and refuses one past the limit', () => {
    const tooMany = `request body has more than ${MAX_BODY_VALUES} values (objects, arrays, strings, numbers, booleans, nulls); at most ${MAX_BODY_VALUES}`;
    const arrays = (count: number, last: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`a${i}`, Array.from({ length: i === count - 1 ? last : 1000 }, () => 0)]));
    // The body, `customer`, 20 arrays and their elements: 1 + 1 + 20 + 19,978.
    expect(bodyShapeProblem({ customer: arrays(20, 978) })).toBeNull();
    expect(bodyShapeProblem({ customer: arrays(20, 979) })).toBe(tooMany);
    // Spread over objects of a few keys each: the keys are not counted, their values are.
    const items = (count: number) => Array.from({ length: count }, (_, i) => ({ reference: `sku-${i}`, name: 'Mug', quantity: 1, unitPrice: 100 }));
    expect(bodyShapeProblem({ cart: { items: items(1000) } })).toBeNull();
    expect(bodyShapeProblem({ carts: Array.from({ length: 4 }, () => ({ items: items(1000) })) })).toBe(tooMany);
    expect(bodyShapeProblem({ q: Array.from({ length: 25 }, () => Array.from({ length: 1000 }, () => 'a')) }, 'query string')).toMatch(/^query string has more than/);
  });

  it('refuses a number JSON.parse could not keep exactly, at any level, and keeps every safe one', () => {
    expect(bodyShapeProblem(JSON.parse('{"address":{"id":12345678901234567890}}'))).toMatch(/number beyond ±9007199254740991 \(2\^53 - 1\), which would be stored rounded; send such a value as a string/);
    expect(bodyShapeProblem(JSON.parse('{"list":[-1e300]}'))).toMatch(/number beyond/);
    expect(bodyShapeProblem({ max: Number.MAX_SAFE_INTEGER, min: -Number.MAX_SAFE_INTEGER, amount: 1234.56, tiny: 1e-300 })).toBeNull();
  });

  it('refuses a __proto__ key as JSON.parse leaves it, at any level', () => {
    expect(bodyShapeProblem(JSON.parse('{"a":[{"__proto__":{"x":1}}]}'))).toMatch(/__proto__/);
    expect(bodyShapeProblem({ prototype: 'fine', constructors: 'fine' })).toBeNull();
  });

  it('refuses a key naming a property every object inherits, at any level, naming it', () => {
    for (const key of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(bodyShapeProblem(JSON.parse(`{"notifications":[{"headers":{"${key}":"v"}}]}`))).toBe(`request body must not contain a "${key}" key: every JavaScript object has a property of that name`);
    }
  });

  it('refuses NUL characters in values and keys', () => {
    expect(bodyShapeProblem({ name: 'a\u0000b' })).toMatch(/NUL/);
    expect(bodyShapeProblem({ list: [{ ['k\u0000']: 1 }] })).toMatch(/NUL/);
  });

  it('names what it checked: a body, or a parsed query string', () => {
    expect(bodyShapeProblem({ orderId: '\u0000' }, 'query string')).toBe('query string must not contain NUL characters (\\u0000)');
    expect(bodyShapeProblem({ orderId: ['a', 'b\ud800'] }, 'query string')).toMatch(/^query string must not contain unpaired/);
  });

  it('refuses unpaired UTF-16 surrogates in values and keys, and accepts paired ones', () => {
    expect(bodyShapeProblem(JSON.parse('{"name":"a\\ud800b"}'))).toMatch(/surrogate/);
    expect(bodyShapeProblem(JSON.parse('{"name":"\\udc00"}'))).toMatch(/surrogate/);
    expect(bodyShapeProblem(JSON.parse('{"name":"x\\ude00\\ud83d"}'))).toMatch(/surrogate/);
    expect(bodyShapeProblem(JSON.parse('{"list":[{"k\\ud83d":1}]}'))).toMatch(/surrogate/);
    expect(bodyShapeProblem(JSON.parse('{"name":"smile \\ud83d\\ude00","raw":"😀 ü"}'))).toBeNull();
  });
});
