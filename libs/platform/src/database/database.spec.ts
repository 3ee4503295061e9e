import { sqlInteger, tenantSessionOptions } from './database';

describe('sqlInteger', () => {
  it('writes a whole number as it is', () => {
    expect([0, 30, -5, 86_400_000].map(sqlInteger)).toEqual(['0', '30', '-5', '86400000']);
  });

  it('refuses anything else, so no text reaches a statement through it', () => {
    for (const value of [1.5, NaN, Infinity, 2 ** 53, '1; DROP TABLE x' as unknown as number]) expect(() => sqlInteger(value)).toThrow('expected a whole number');
  });
});

describe('tenantSessionOptions', () => {
  it('adds the role, and PostgreSQL\'s own plan choice only when asked', () => {
    expect(tenantSessionOptions('-c jit=off', 'tenant', 'generic')).toBe('-c jit=off -c role=tenant');
    expect(tenantSessionOptions('-c jit=off', 'tenant', 'auto')).toBe('-c jit=off -c role=tenant -c plan_cache_mode=auto');
  });
});
