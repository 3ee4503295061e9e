import type { Registration } from './registration';
import { MAX_ORDER_SCHEMA_BYTES, MAX_ORDER_SCHEMAS, MAX_SCHEMA_BYTES_PER_REQUEST, MAX_SCHEMAS_PER_REQUEST, orderSchemaProblem, schemaBudgetProblem } from './schema-budget';

/** A schema of exactly `bytes` serialised bytes. */
const schemaOf = (bytes: number) => ({ const: 'x'.repeat(bytes - '{"const":""}'.length) });
const TOO_MUCH = `scope schemas may take at most ${MAX_SCHEMA_BYTES_PER_REQUEST / 1024} KiB (UTF-8) in one request, all registrations and watches together`;
const TOO_MANY = `a request may carry at most ${MAX_SCHEMAS_PER_REQUEST} scope schemas, all registrations and watches together`;

describe('schemaBudgetProblem', () => {
  const half = schemaOf(MAX_SCHEMA_BYTES_PER_REQUEST / 2);
  const watch = (schema: unknown) => ({ pointer: '/state/currentStatus', schema });

  it('takes one schema as large as a schema may be, in every place a request carries one', () => {
    const largest = schemaOf(MAX_SCHEMA_BYTES_PER_REQUEST);
    expect(JSON.stringify(largest)).toHaveLength(MAX_SCHEMA_BYTES_PER_REQUEST);
    expect(schemaBudgetProblem({ scope: '/state/currentStatus', schema: largest })).toBeNull();
    expect(schemaBudgetProblem({ scope: [watch(largest)] })).toBeNull();
    expect(schemaBudgetProblem({ currency: 'SEK', notifications: [{ scope: [watch(largest)] }] })).toBeNull();
    expect(schemaBudgetProblem([{ scope: '/state/currentStatus', schema: largest }])).toBeNull();
  });

  it('counts every registration and watch of the request together', () => {
    expect(schemaBudgetProblem({ scope: '/a', schema: half, notifications: [{ scope: [watch(half), watch({ const: 1 })] }] })).toBe(TOO_MUCH);
    expect(schemaBudgetProblem({ scope: [watch(half), watch(half), watch(true)] })).toBe(TOO_MUCH);
    expect(schemaBudgetProblem([{ scope: [watch(half)] }, { scope: '/a', schema: half }, { scope: '/b', schema: { const: 1 } }])).toBe(TOO_MUCH);
    expect(schemaBudgetProblem({ notifications: Array.from({ length: 3 }, () => ({ scope: '/a', schema: schemaOf(6000) })) })).toBe(TOO_MUCH);
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(schemaBudgetProblem({ scope: '/a', schema: { const: '€'.repeat(6000) } })).toBe(TOO_MUCH);
    expect(schemaBudgetProblem({ scope: '/a', schema: { const: '€'.repeat(5000) } })).toBeNull();
  });

  it(`takes at most ${MAX_SCHEMAS_PER_REQUEST} schemas in one request, however small`, () => {
    const tiny = (count: number) => Array.from({ length: count }, (_, i) => watch({ const: i }));
    expect(schemaBudgetProblem({ scope: tiny(MAX_SCHEMAS_PER_REQUEST) })).toBeNull();
    expect(schemaBudgetProblem({ notifications: [{ scope: tiny(MAX_SCHEMAS_PER_REQUEST / 2) }, { scope: tiny(MAX_SCHEMAS_PER_REQUEST / 2 + 1) }] })).toBe(TOO_MANY);
    expect(schemaBudgetProblem(Array.from({ length: 20 }, () => ({ scope: tiny(62) })))).toBe(TOO_MANY);
  });

  it('leaves bodies without scopes, and anything that is not where a schema goes, to validation', () => {
    expect(schemaBudgetProblem(undefined)).toBeNull();
    expect(schemaBudgetProblem({ currentStatus: 'processing' })).toBeNull();
    expect(schemaBudgetProblem({ customer: { schema: schemaOf(MAX_SCHEMA_BYTES_PER_REQUEST * 2) } })).toBeNull();
    expect(schemaBudgetProblem({ scope: 'not a list', notifications: 'not a list either' })).toBeNull();
    expect(schemaBudgetProblem([null, 1, 'x', { scope: [null, 'x', { schema: half }] }])).toBeNull();
  });

  describe('orderSchemaProblem', () => {
    const registrationWith = (...schemas: unknown[]) => ({ scope: schemas.map((schema) => ({ pointer: '/customer/tier', schema })) }) as unknown as Registration;

    it(`takes ${MAX_ORDER_SCHEMAS} distinct schemas, counts a schema repeated on several registrations once, and refuses one more`, () => {
      const consts = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ const: from + i }));
      const full = [registrationWith(...consts(0, 64)), registrationWith(...consts(0, 64)), registrationWith(...consts(64, 64))];
      expect(orderSchemaProblem(full)).toBeNull();
      expect(orderSchemaProblem([...full, registrationWith({ const: 'one more' })])).toBe(
        `an order's notifications may carry at most ${MAX_ORDER_SCHEMAS} distinct scope schemas; these would carry ${MAX_ORDER_SCHEMAS + 1}`,
      );
    });

    it(`takes ${MAX_ORDER_SCHEMA_BYTES / 1024} KiB of distinct schemas in UTF-8 and refuses more`, () => {
      expect(orderSchemaProblem([registrationWith(schemaOf(MAX_ORDER_SCHEMA_BYTES / 2), { const: 'y'.repeat(MAX_ORDER_SCHEMA_BYTES / 2 - 12) })])).toBeNull();
      expect(orderSchemaProblem([registrationWith({ const: '€'.repeat(MAX_ORDER_SCHEMA_BYTES / 3) })])).toMatch(/at most 32 KiB of distinct scope schemas; these would carry \d+ bytes/);
    });

    it('counts a schema stored with its keys in another order (as jsonb gives it back) as the same one', () => {
      const consts = Array.from({ length: MAX_ORDER_SCHEMAS }, (_, i) => ({ type: 'integer', const: i }));
      const stored = registrationWith(...consts.map(({ type, const: value }) => ({ const: value, type })));
      expect(orderSchemaProblem([stored, registrationWith({ type: 'integer', const: 0 })])).toBeNull();
    });

    it('leaves registrations without schemas alone', () => {
      expect(orderSchemaProblem([{ scope: [{ pointer: '/payments', states: ['authorized'] }] } as unknown as Registration])).toBeNull();
    });
  });
});
