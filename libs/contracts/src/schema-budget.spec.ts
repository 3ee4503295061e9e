import { MAX_SCHEMA_BYTES_PER_REQUEST, schemaBudgetProblem } from './schema-budget';

/** A schema of exactly `bytes` serialised bytes. */
const schemaOf = (bytes: number) => ({ const: 'x'.repeat(bytes - '{"const":""}'.length) });
const TOO_MUCH = `scope schemas may take at most ${MAX_SCHEMA_BYTES_PER_REQUEST / 1024} KiB in one request, all registrations and watches together`;

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
    expect(schemaBudgetProblem({ notifications: Array.from({ length: 40 }, () => ({ scope: '/a', schema: schemaOf(4300) })) })).toBe(TOO_MUCH);
  });

  it('leaves bodies without scopes, and anything that is not where a schema goes, to validation', () => {
    expect(schemaBudgetProblem(undefined)).toBeNull();
    expect(schemaBudgetProblem({ currentStatus: 'processing' })).toBeNull();
    expect(schemaBudgetProblem({ customer: { schema: schemaOf(MAX_SCHEMA_BYTES_PER_REQUEST * 2) } })).toBeNull();
    expect(schemaBudgetProblem({ scope: 'not a list', notifications: 'not a list either' })).toBeNull();
    expect(schemaBudgetProblem([null, 1, 'x', { scope: [null, 'x', { schema: half }] }])).toBeNull();
  });
});
