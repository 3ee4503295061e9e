import { analyseScopeSchema, createScopeAjv, SCOPE_SCHEMA_LIMITS } from './scope-schema';
import { schemaErrors } from './scope';

/** The schema of the incident: anyOf chained through $defs, two references per level, `levels` deep (about 1.5 KB at 22). */
function anyOfChain(levels: number): Record<string, unknown> {
  const $defs: Record<string, unknown> = {};
  for (let level = 0; level < levels; level += 1) {
    $defs[`l${level}`] = { anyOf: [{ $ref: `#/$defs/l${level + 1}` }, { $ref: `#/$defs/l${level + 1}` }] };
  }
  $defs[`l${levels}`] = { type: 'string', minLength: 3 };
  return { $defs, $ref: '#/$defs/l0' };
}

describe('analyseScopeSchema', () => {
  it('refuses the anyOf chain through $defs of the incident, naming depth and cost, without evaluating it', () => {
    const bomb = anyOfChain(22);
    expect(JSON.stringify(bomb).length).toBeLessThan(2048);
    const { errors } = analyseScopeSchema(bomb);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/nests anyOf\/oneOf\/allOf\/not\/if 22 levels deep \(through \$ref\); at most 8/),
      expect.stringMatching(/follows \$ref 23 levels deep/),
      expect.stringMatching(/costs .* evaluations per value/),
    ]));
  });

  it('accepts a short chain within every bound and counts each branch', () => {
    expect(analyseScopeSchema(anyOfChain(3))).toEqual({ errors: [], cost: 30 });
  });

  it('refuses a composition too broad, too deep without refs, or too costly', () => {
    const broad = { anyOf: Array.from({ length: SCOPE_SCHEMA_LIMITS.maxBranches + 1 }, (_, i) => ({ const: i })) };
    expect(analyseScopeSchema(broad).errors).toEqual([expect.stringMatching(/anyOf at \/anyOf has 17 branches; at most 16/)]);
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 9; i += 1) deep = { not: deep };
    expect(analyseScopeSchema(deep).errors).toEqual([expect.stringMatching(/9 levels deep/)]);
    const costly = { allOf: Array.from({ length: 16 }, () => ({ allOf: Array.from({ length: 16 }, () => ({ enum: [1, 2, 3] })) })) };
    expect(analyseScopeSchema(costly).errors).toEqual([expect.stringMatching(/costs 1041 evaluations per value/)]);
  });

  it('refuses recursive, remote, unresolved and re-rooted references', () => {
    expect(analyseScopeSchema({ $defs: { a: { items: { $ref: '#/$defs/a' } } }, $ref: '#/$defs/a' }).errors).toEqual([expect.stringMatching(/"#\/\$defs\/a" .* is recursive/)]);
    expect(analyseScopeSchema({ properties: { a: { $ref: '#' } } }).errors).toEqual([expect.stringMatching(/"#" at \/properties\/a\/\$ref is recursive/)]);
    expect(analyseScopeSchema({ $ref: 'https://example.com/schema.json' }).errors).toEqual([expect.stringMatching(/must point into the schema itself/)]);
    expect(analyseScopeSchema({ $ref: '#/$defs/missing' }).errors).toEqual([expect.stringMatching(/does not resolve/)]);
    expect(analyseScopeSchema({ $ref: '#/%zz' }).errors).toEqual([expect.stringMatching(/does not resolve/)]);
    expect(analyseScopeSchema({ $id: 'https://example.com/x', type: 'string' }).errors).toEqual([expect.stringMatching(/\$id is not supported/)]);
  });

  it('needs a bounded maxItems beside uniqueItems and contains', () => {
    expect(analyseScopeSchema({ type: 'array', uniqueItems: true }).errors).toEqual([expect.stringMatching(/uniqueItems at \/ needs maxItems of at most 1000/)]);
    expect(analyseScopeSchema({ properties: { tags: { contains: { const: 'vip' }, maxItems: 30_000 } } }).errors)
      .toEqual([expect.stringMatching(/contains at \/properties\/tags needs maxItems/)]);
    expect(analyseScopeSchema({ type: 'array', uniqueItems: true, maxItems: 1000 }).errors).toEqual([]);
    expect(analyseScopeSchema({ type: 'array', uniqueItems: false }).errors).toEqual([]);
  });

  it('refuses schemas too large or too deeply nested before walking them', () => {
    expect(analyseScopeSchema({ enum: ['x'.repeat(SCOPE_SCHEMA_LIMITS.maxBytes)] }).errors).toEqual(['schema must be at most 16 KiB']);
    let nested: unknown = 1;
    for (let i = 0; i < 2000; i += 1) nested = [nested];
    expect(analyseScopeSchema({ const: nested }).errors).toEqual(['schema must not nest more than 32 levels']);
  });
});

describe('schemaErrors: schemas mean what they say', () => {
  it('refuses the schema bombs, naming the problem', () => {
    expect(schemaErrors(anyOfChain(22))).toEqual(expect.arrayContaining([expect.stringMatching(/22 levels deep/)]));
    expect(schemaErrors({ type: 'array', uniqueItems: true })).toEqual([expect.stringMatching(/uniqueItems .* needs maxItems/)]);
  });

  it('refuses unknown formats and keywords instead of ignoring them, and schemas that do not compile', () => {
    expect(schemaErrors({ type: 'string', format: 'emial' })).toEqual([expect.stringMatching(/not a valid JSON Schema: unknown format "emial"/)]);
    expect(schemaErrors({ type: 'string', format: 'url' })).toEqual([expect.stringMatching(/unknown format "url"/)]);
    expect(schemaErrors({ emum: ['completed'] })).toEqual([expect.stringMatching(/unknown keyword: "emum"/)]);
    expect(schemaErrors({ type: 'nonsense' })).toEqual([expect.stringMatching(/not a valid JSON Schema/)]);
    expect(schemaErrors({ type: 'string', format: 'email' })).toEqual([]);
  });
});

describe('createScopeAjv', () => {
  it('checks formats', () => {
    const validate = createScopeAjv().compile({ type: 'string', format: 'email' });
    expect(validate('buyer@example.com')).toBe(true);
    expect(validate('not an address')).toBe(false);
    const dateTime = createScopeAjv().compile({ format: 'date-time' });
    expect(dateTime('2026-12-01T15:00:00Z')).toBe(true);
    expect(dateTime('yesterday')).toBe(false);
  });
});
