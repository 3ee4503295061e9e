import { CircuitBreaker } from './circuit-breaker';

const host = 'erp.example.com';
const other = 'crm.example.com';

function breakerAfterFailures(count: number, at = 1_000) {
  const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 30_000 });
  for (let i = 0; i < count; i++) breaker.recordFailure(host, at);
  return breaker;
}

describe('CircuitBreaker', () => {
  it('lets everything through while closed', () => {
    const breaker = breakerAfterFailures(2);
    expect(breaker.state(host, 1_000)).toBe('closed');
    expect(breaker.decide(host, 1_000)).toEqual({ allowed: true });
    expect(breaker.decide(host, 1_000)).toEqual({ allowed: true });
  });

  it('opens after the threshold of consecutive failures and holds deliveries until the cool-down ends', () => {
    const breaker = breakerAfterFailures(3);
    expect(breaker.state(host, 1_000)).toBe('open');
    expect(breaker.decide(host, 1_000)).toEqual({ allowed: false, retryAt: 31_000 });
    expect(breaker.decide(host, 30_999)).toEqual({ allowed: false, retryAt: 31_000 });
  });

  it('counts only consecutive failures: a success resets the count', () => {
    const breaker = breakerAfterFailures(2);
    breaker.recordSuccess(host);
    breaker.recordFailure(host, 2_000);
    breaker.recordFailure(host, 2_000);
    expect(breaker.state(host, 2_000)).toBe('closed');
    breaker.recordFailure(host, 2_000);
    expect(breaker.state(host, 2_000)).toBe('open');
  });

  it('keeps one circuit per host', () => {
    const breaker = breakerAfterFailures(3);
    expect(breaker.decide(other, 1_000)).toEqual({ allowed: true });
    expect(breaker.state(other, 1_000)).toBe('closed');
  });

  it('tells until when an open circuit holds deliveries, without starting the half-open probe', () => {
    const breaker = breakerAfterFailures(3);
    expect(breaker.openUntil(host, 1_000)).toBe(31_000);
    expect(breaker.openUntil(other, 1_000)).toBeNull();
    expect(breaker.openUntil(host, 31_000)).toBeNull();
    expect(breaker.openUntil(host, 31_000)).toBeNull();
    expect(breaker.decide(host, 31_000)).toEqual({ allowed: true });
  });

  it('lets exactly one probe through when half-open', () => {
    const breaker = breakerAfterFailures(3);
    expect(breaker.state(host, 31_000)).toBe('half-open');
    expect(breaker.decide(host, 31_000)).toEqual({ allowed: true });
    expect(breaker.decide(host, 31_001)).toEqual({ allowed: false, retryAt: 32_001 });
    expect(breaker.decide(host, 35_000)).toEqual({ allowed: false, retryAt: 36_000 });
  });

  it('closes when the probe succeeds', () => {
    const breaker = breakerAfterFailures(3);
    breaker.decide(host, 31_000);
    breaker.recordSuccess(host);
    expect(breaker.state(host, 31_500)).toBe('closed');
    expect(breaker.decide(host, 31_500)).toEqual({ allowed: true });
    expect(breaker.decide(host, 31_500)).toEqual({ allowed: true });
  });

  it('opens again for a full cool-down when the probe fails', () => {
    const breaker = breakerAfterFailures(3);
    breaker.decide(host, 31_000);
    breaker.recordFailure(host, 32_000);
    expect(breaker.state(host, 32_000)).toBe('open');
    expect(breaker.decide(host, 40_000)).toEqual({ allowed: false, retryAt: 62_000 });
    expect(breaker.decide(host, 62_000)).toEqual({ allowed: true });
  });

  it('does not extend the cool-down for failures of calls that started before the circuit opened', () => {
    const breaker = breakerAfterFailures(3);
    breaker.recordFailure(host, 5_000);
    expect(breaker.decide(host, 5_000)).toEqual({ allowed: false, retryAt: 31_000 });
  });

  it('lets another probe through when the previous one never reported', () => {
    const breaker = breakerAfterFailures(3);
    expect(breaker.decide(host, 31_000)).toEqual({ allowed: true });
    expect(breaker.decide(host, 61_000)).toEqual({ allowed: true });
  });
});
