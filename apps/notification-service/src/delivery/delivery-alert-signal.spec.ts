import { breakerTransition } from './delivery-alert-signal';

describe('breakerTransition', () => {
  it('opens from closed, closes from open or half-open, and a failed probe is no new outage', () => {
    expect(breakerTransition('closed', 'open')).toBe('breaker-opened');
    expect(breakerTransition('half-open', 'closed')).toBe('breaker-closed');
    expect(breakerTransition('open', 'closed')).toBe('breaker-closed');
    expect(breakerTransition('half-open', 'open')).toBeNull();
    expect(breakerTransition('closed', 'closed')).toBeNull();
    expect(breakerTransition('open', 'open')).toBeNull();
  });
});
