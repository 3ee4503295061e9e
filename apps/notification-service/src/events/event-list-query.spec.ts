import { eventListQuery } from './event-list-query';

describe('eventListQuery', () => {
  const page = { limit: 50, offset: 0 };

  it('always filters by merchant and lists newest first', () => {
    const { list, count } = eventListQuery('acme', {}, page);
    expect(list.sql).toMatch(/WHERE e\.merchant = \$1 ORDER BY e\.created_at DESC, e\.id DESC LIMIT \$2 OFFSET \$3/);
    expect(list.params).toEqual(['acme', 50, 0]);
    expect(count.params).toEqual(['acme']);
  });

  it('matches a scope family by prefix and a full label exactly', () => {
    const family = eventListQuery('acme', { scope: 'state' }, page).list;
    expect(family.sql).toContain('(e.scope = $2 OR e.scope LIKE $3)');
    expect(family.params.slice(1, 3)).toEqual(['state', 'state.%']);
    const exact = eventListQuery('acme', { scope: 'state.completed' }, page).list;
    expect(exact.sql).toContain('e.scope = $2');
    expect(exact.params[1]).toBe('state.completed');
    expect(eventListQuery('acme', { scope: '/cart/total' }, page).list.sql).toContain('e.scope = $2');
  });

  it('escapes LIKE wildcards of a scope family', () => {
    expect(eventListQuery('acme', { scope: 'a_b' }, page).list.params[2]).toBe('a\\_b.%');
  });

  it('numbers parameters across every filter', () => {
    const from = new Date('2025-01-01T00:00:00Z');
    const to = new Date('2025-01-02T00:00:00Z');
    const { list, count } = eventListQuery('acme', {
      orderId: 'o-1', status: 'failed', notificationId: 'n-1', subscriptionId: 's-1', reference: 'erp', channel: 'web', from, to,
    }, { limit: 10, offset: 20 });
    expect(list.sql).toContain('e.order_id = $2 AND e.status = $3 AND e.notification_id = $4 AND e.subscription_id = $5 AND e.reference = $6 AND e.channel = $7 AND e.created_at >= $8 AND e.created_at <= $9');
    expect(list.params).toEqual(['acme', 'o-1', 'failed', 'n-1', 's-1', 'erp', 'web', from, to, 10, 20]);
    expect(count.params).toHaveLength(9);
  });
});
