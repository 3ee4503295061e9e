import { timingSafeEqual } from 'node:crypto';
import { CredentialTable } from './credential-table';

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});
const compare = jest.mocked(timingSafeEqual);

describe('CredentialTable', () => {
  const table = new CredentialTable([['alpha-token-1', 'alpha'], ['beta-token-1', 'beta'], ['a-much-longer-token-of-gamma', 'gamma']]);

  beforeEach(() => compare.mockClear());

  it('finds the owner of each configured token', () => {
    expect(table.ownerOf('alpha-token-1')).toBe('alpha');
    expect(table.ownerOf('beta-token-1')).toBe('beta');
    expect(table.ownerOf('a-much-longer-token-of-gamma')).toBe('gamma');
  });

  it('finds no owner for a prefix, an extension, another case, an empty or unknown token', () => {
    for (const token of ['alpha-token-', 'alpha-token-11', 'ALPHA-TOKEN-1', '', 'x', 'alpha-token-1 ', 'a'.repeat(10_000)]) {
      expect({ token, owner: table.ownerOf(token) }).toEqual({ token, owner: undefined });
    }
  });

  it('finds nothing in an empty table', () => {
    expect(new CredentialTable<string>([]).ownerOf('alpha-token-1')).toBeUndefined();
    expect(new CredentialTable<string>([]).size).toBe(0);
  });

  it('compares fixed-size digests of every entry on every lookup, whatever the length or position of the match', () => {
    for (const token of ['alpha-token-1', 'a-much-longer-token-of-gamma', 'short', 'unknown-token-of-another-length']) {
      compare.mockClear();
      table.ownerOf(token);
      expect(compare).toHaveBeenCalledTimes(3);
      for (const [expected, given] of compare.mock.calls) expect([(expected as Buffer).length, (given as Buffer).length]).toEqual([32, 32]);
    }
  });

  it('keys its digests per table, so a digest says nothing outside the process', () => {
    new CredentialTable([['same-token', 1]]).ownerOf('same-token');
    new CredentialTable([['same-token', 1]]).ownerOf('same-token');
    const [first, second] = compare.mock.calls.map(([expected]) => (expected as Buffer).toString('hex'));
    expect(first).not.toEqual(second);
  });
});
