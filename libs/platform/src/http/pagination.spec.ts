import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { pageOf, PageQuery } from './pagination';

const problems = (query: Record<string, string>): string[] =>
  validateSync(plainToInstance(PageQuery, query)).flatMap((error) => Object.values(error.constraints ?? {}));

describe('pageOf', () => {
  it('reports the window asked for, the items it holds and the listing total', () => {
    expect(pageOf(['c', 'd'], { limit: 2, offset: 2 }, 5)).toEqual({ data: ['c', 'd'], pagination: { offset: 2, limit: 2, size: 2, totalSize: 5 } });
    expect(pageOf([], { limit: 50, offset: 10 }, 5).pagination).toEqual({ offset: 10, limit: 50, size: 0, totalSize: 5 });
  });
});

describe('PageQuery', () => {
  it('defaults to the first 50 items', () => {
    expect({ ...plainToInstance(PageQuery, {}) }).toEqual({ limit: 50, offset: 0 });
  });

  it('accepts a window at its bounds', () => {
    expect(problems({ limit: '1', offset: '0' })).toEqual([]);
    expect(problems({ limit: '500', offset: '1000000' })).toEqual([]);
  });

  it('refuses a window past its bounds or not a whole number', () => {
    expect(problems({ limit: '0' })).toEqual(['limit must not be less than 1']);
    expect(problems({ limit: '501' })).toEqual(['limit must not be greater than 500']);
    expect(problems({ offset: '-1' })).toEqual(['offset must not be less than 0']);
    expect(problems({ offset: '1000001' })).toEqual(['offset must not be greater than 1000000']);
    expect(problems({ limit: '2.5' })).toEqual(['limit must be an integer number']);
  });
});
