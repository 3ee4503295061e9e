import { webhookEndpoint } from './endpoint';
import { callOutcome, EndpointBreakers } from './endpoint-breakers';

const THRESHOLD = 3;
const COOLDOWN = 10_000;
const alphaFailing = webhookEndpoint('alpha', 'https://hooks.example.com:8443/alpha');
const alphaOther = webhookEndpoint('alpha', 'https://other.example.com/alpha');
const betaSameHost = webhookEndpoint('beta', 'https://hooks.example.com/beta');
const gammaSameHost = webhookEndpoint('gamma', 'https://hooks.example.com/gamma');
const deltaSameHost = webhookEndpoint('delta', 'https://hooks.example.com/delta');

function breakers(hostMerchants = 2) {
  return new EndpointBreakers({ failureThreshold: THRESHOLD, cooldownMs: COOLDOWN, hostMerchants });
}

function fail(target: EndpointBreakers, endpoint = alphaFailing, outcome: 'failed' | 'unreachable' = 'failed', times = THRESHOLD, at = 1_000) {
  for (let i = 0; i < times; i++) target.record(endpoint, outcome, at);
}

describe('webhookEndpoint', () => {
  it('is one endpoint per merchant and origin, grouped by host name whatever the port', () => {
    expect(webhookEndpoint('alpha', 'https://Hooks.Example.com:8443/a/b?c=1')).toEqual({ key: 'alpha https://hooks.example.com:8443', merchant: 'alpha', host: 'hooks.example.com' });
    expect(webhookEndpoint('alpha', 'https://hooks.example.com/x').key).not.toBe(webhookEndpoint('beta', 'https://hooks.example.com/x').key);
    expect(webhookEndpoint('alpha', 'https://hooks.example.com/x').key).toBe(webhookEndpoint('alpha', 'https://hooks.example.com/y').key);
    expect(webhookEndpoint('alpha', 'http://hooks.example.com:81/').host).toBe(webhookEndpoint('beta', 'http://hooks.example.com:82/').host);
  });
});

describe('callOutcome', () => {
  it('counts 2xx and 4xx as answers, 5xx and redirects as failures, no response as unreachable', () => {
    expect([200, 204, 400, 404, 410, 429].map((statusCode) => callOutcome({ kind: 'response', statusCode }))).toEqual(Array(6).fill('answered'));
    expect([301, 500, 502, 503].map((statusCode) => callOutcome({ kind: 'response', statusCode }))).toEqual(Array(4).fill('failed'));
    expect(callOutcome({ kind: 'error' })).toBe('unreachable');
  });
});

describe('EndpointBreakers', () => {
  it("opens a failing merchant endpoint's circuit without touching another merchant's endpoint on the same host", () => {
    const target = breakers();
    fail(target);
    expect(target.decide(alphaFailing, 1_000)).toEqual({ allowed: false, retryAt: 1_000 + COOLDOWN });
    expect(target.openUntil(alphaFailing, 1_000)).toBe(1_000 + COOLDOWN);
    expect(target.decide(betaSameHost, 1_000)).toEqual({ allowed: true });
    expect(target.openUntil(betaSameHost, 1_000)).toBeNull();
    expect(target.decide(alphaOther, 1_000)).toEqual({ allowed: true });
    expect(target.hostState('hooks.example.com', 1_000)).toBe('closed');
  });

  it('never opens on 4xx answers, and an answer resets the count', () => {
    const target = breakers();
    for (let i = 0; i < 10 * THRESHOLD; i++) target.record(alphaFailing, callOutcome({ kind: 'response', statusCode: 404 }), 1_000);
    expect(target.endpointState(alphaFailing, 1_000)).toBe('closed');
    fail(target, alphaFailing, 'failed', THRESHOLD - 1);
    target.record(alphaFailing, 'answered', 1_000);
    fail(target, alphaFailing, 'failed', THRESHOLD - 1);
    expect(target.endpointState(alphaFailing, 1_000)).toBe('closed');
  });

  it('pauses a whole host only when several merchants find it unreachable', () => {
    const target = breakers(3);
    fail(target, alphaFailing, 'unreachable');
    fail(target, betaSameHost, 'unreachable');
    expect(target.hostState('hooks.example.com', 1_000)).toBe('closed');
    expect(target.decide(deltaSameHost, 1_000)).toEqual({ allowed: true });
    fail(target, gammaSameHost, 'unreachable');
    expect(target.hostState('hooks.example.com', 1_000)).toBe('open');
    // A merchant that never failed there is held back too, until the host's cool-down ends.
    expect(target.decide(deltaSameHost, 1_000)).toEqual({ allowed: false, retryAt: 1_000 + COOLDOWN });
    expect(target.decide(alphaOther, 1_000)).toEqual({ allowed: true });
  });

  it("does not count one merchant's 500s, nor its unanswered calls alone, towards a host pause", () => {
    const target = breakers(2);
    fail(target, alphaFailing, 'unreachable', 50);
    fail(target, betaSameHost, 'failed', 50);
    expect(target.hostState('hooks.example.com', 1_000)).toBe('closed');
    expect(target.decide(gammaSameHost, 1_000)).toEqual({ allowed: true });
  });

  it('closes the host after the cool-down when its probe gets any answer, and reopens it when the probe is unanswered', () => {
    const target = breakers(2);
    fail(target, alphaFailing, 'unreachable');
    fail(target, betaSameHost, 'unreachable');
    const after = 1_000 + COOLDOWN;
    expect(target.decide(deltaSameHost, after)).toEqual({ allowed: true });
    expect(target.decide(gammaSameHost, after)).toEqual({ allowed: false, retryAt: after + 1_000 });
    target.record(deltaSameHost, 'unreachable', after + 10);
    expect(target.hostState('hooks.example.com', after + 10)).toBe('open');

    const later = after + 10 + COOLDOWN;
    expect(target.decide(deltaSameHost, later)).toEqual({ allowed: true });
    target.record(deltaSameHost, 'failed', later);
    expect(target.hostState('hooks.example.com', later)).toBe('closed');
    expect(target.decide(gammaSameHost, later)).toEqual({ allowed: true });
  });
});
