import { bodyShapeProblem, MAX_BODY_DEPTH, MAX_OBJECT_KEYS } from './configure-http-app';

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

  it('refuses an object with more keys than the limit, at any level, and not a long array', () => {
    const keys = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 1]));
    expect(bodyShapeProblem({ customer: keys(MAX_OBJECT_KEYS) })).toBeNull();
    expect(bodyShapeProblem({ customer: { address: keys(MAX_OBJECT_KEYS + 1) } })).toBe(`request body has an object with ${MAX_OBJECT_KEYS + 1} keys; at most ${MAX_OBJECT_KEYS} in one object`);
    expect(bodyShapeProblem({ items: Array.from({ length: 5000 }, () => 1) })).toBeNull();
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
