import { webhookEndpoint } from './endpoint';
import { LineOverflow } from './line-overflow';

const a = webhookEndpoint('alpha', 'https://a.example/hook');
const b = webhookEndpoint('alpha', 'https://b.example/hook');

describe('LineOverflow', () => {
  it('keeps rows per endpoint and hands them out oldest first', () => {
    const overflow = new LineOverflow();
    overflow.add(a, { id: 'a1', leasedUntil: 10 });
    overflow.add(b, { id: 'b1', leasedUntil: 10 });
    overflow.add(a, { id: 'a2', leasedUntil: 11 });
    overflow.add(a, { id: 'a3', leasedUntil: 12 });

    expect(overflow.size).toBe(4);
    expect(overflow.count(a.key)).toBe(3);
    expect(overflow.take(a.key, 2)).toEqual([{ id: 'a1', leasedUntil: 10 }, { id: 'a2', leasedUntil: 11 }]);
    expect(overflow.count(a.key)).toBe(1);
    expect(overflow.take(b.key, 5)).toEqual([{ id: 'b1', leasedUntil: 10 }]);
    expect([...overflow.endpoints()]).toEqual([{ endpoint: a, count: 1 }]);
    expect(overflow.take('nobody', 1)).toEqual([]);
  });

  it('renews the rows whose lease was kept and drops the others', () => {
    const overflow = new LineOverflow();
    overflow.add(a, { id: 'a1', leasedUntil: 10 });
    overflow.add(a, { id: 'a2', leasedUntil: 10 });
    overflow.add(b, { id: 'b1', leasedUntil: 10 });

    const ids = overflow.ids();
    // A row handed out between the renewal's start and its answer is not counted as lost.
    overflow.take(b.key, 1);
    expect(overflow.renewed(ids, new Set(['a2']), 99)).toBe(1);
    expect(overflow.take(a.key, 5)).toEqual([{ id: 'a2', leasedUntil: 99 }]);
    expect(overflow.size).toBe(0);
  });

  it('empties on clear, returning what it held', () => {
    const overflow = new LineOverflow();
    overflow.add(a, { id: 'a1', leasedUntil: 10 });
    overflow.add(b, { id: 'b1', leasedUntil: 10 });
    expect(overflow.clear().map((row) => row.id).sort()).toEqual(['a1', 'b1']);
    expect(overflow.size).toBe(0);
    expect(overflow.count(a.key)).toBe(0);
  });
});
