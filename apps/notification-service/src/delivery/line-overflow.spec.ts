import { webhookEndpoint } from './endpoint';
import { LineOverflow } from './line-overflow';

const a = webhookEndpoint('alpha', 'https://a.example/hook');
const b = webhookEndpoint('alpha', 'https://b.example/hook');

describe('LineOverflow', () => {
  it('keeps rows per endpoint and hands them out oldest first', () => {
    const overflow = new LineOverflow<string>(100, (body) => body.length);
    overflow.add(a, { id: 'a1', leasedUntil: 10 });
    overflow.add(b, { id: 'b1', leasedUntil: 10 });
    overflow.add(a, { id: 'a2', leasedUntil: 11 });
    overflow.add(a, { id: 'a3', leasedUntil: 12 });

    expect(overflow.size).toBe(4);
    expect(overflow.count(a.key)).toBe(3);
    expect(overflow.take(a.key, 2)).toEqual([{ id: 'a1', leasedUntil: 10, kept: undefined }, { id: 'a2', leasedUntil: 11, kept: undefined }]);
    expect(overflow.count(a.key)).toBe(1);
    expect(overflow.take(b.key, 5)).toEqual([{ id: 'b1', leasedUntil: 10, kept: undefined }]);
    expect([...overflow.endpoints()]).toEqual([{ endpoint: a, count: 1 }]);
    expect(overflow.take('nobody', 1)).toEqual([]);
  });

  it('renews the rows whose lease was kept and drops the others', () => {
    const overflow = new LineOverflow<string>(100, (body) => body.length);
    overflow.add(a, { id: 'a1', leasedUntil: 10 });
    overflow.add(a, { id: 'a2', leasedUntil: 10 });
    overflow.add(b, { id: 'b1', leasedUntil: 10 });

    const ids = overflow.ids();
    // A row handed out between the renewal's start and its answer is not counted as lost.
    overflow.take(b.key, 1);
    expect(overflow.renewed(ids, new Set(['a2']), 99)).toBe(1);
    expect(overflow.take(a.key, 5)).toEqual([{ id: 'a2', leasedUntil: 99, kept: undefined }]);
    expect(overflow.size).toBe(0);
  });

  it('empties on clear, returning what it held', () => {
    const overflow = new LineOverflow<string>(100, (body) => body.length);
    overflow.add(a, { id: 'a1', leasedUntil: 10 });
    overflow.add(b, { id: 'b1', leasedUntil: 10 });
    expect(overflow.clear().map((row) => row.id).sort()).toEqual(['a1', 'b1']);
    expect(overflow.size).toBe(0);
    expect(overflow.count(a.key)).toBe(0);
  });

  it('keeps what to send with rows while that fits in its budget, and frees it as rows leave', () => {
    const overflow = new LineOverflow<string>(100, (body) => body.length);
    overflow.add(a, { id: 'a1', leasedUntil: 10, kept: 'x'.repeat(60) });
    overflow.add(a, { id: 'a2', leasedUntil: 10, kept: 'y'.repeat(60) });
    overflow.add(b, { id: 'b1', leasedUntil: 10, kept: 'z'.repeat(40) });
    expect(overflow.sizeKept).toBe(100);

    const [a1, a2] = overflow.take(a.key, 2);
    expect(a1.kept).toBe('x'.repeat(60));
    // Past the budget when it came: kept by id, to be read back.
    expect(a2.kept).toBeUndefined();
    expect(overflow.sizeKept).toBe(40);

    const ids = overflow.ids();
    expect(overflow.renewed(ids, new Set(), 20)).toBe(1);
    expect(overflow.sizeKept).toBe(0);
    overflow.add(a, { id: 'a3', leasedUntil: 10, kept: 'w'.repeat(100) });
    expect(overflow.sizeKept).toBe(100);
    expect(overflow.clear()).toEqual([{ id: 'a3', leasedUntil: 10, kept: 'w'.repeat(100) }]);
    expect(overflow.sizeKept).toBe(0);
  });
});
