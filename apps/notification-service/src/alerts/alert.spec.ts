import { endpointOrigin, isAlertType, shouldSend } from './alert';

const HOUR = 3_600_000;
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
const state = (sentMs: number | null) => ({ lastSeenAt: at(sentMs ?? 0), lastSentAt: sentMs === null ? null : at(sentMs) });

describe('shouldSend', () => {
  it('sends the first alert of a type and none within the debounce period', () => {
    expect(shouldSend('endpoint.failing', { own: null, failing: null }, at(0), HOUR)).toBe(true);
    expect(shouldSend('endpoint.failing', { own: state(0), failing: state(0) }, at(HOUR - 1), HOUR)).toBe(false);
    expect(shouldSend('endpoint.failing', { own: state(0), failing: state(0) }, at(HOUR), HOUR)).toBe(true);
    expect(shouldSend('delivery.dead', { own: state(0), failing: null }, at(10), HOUR)).toBe(false);
    expect(shouldSend('endpoint.disabled', { own: state(null), failing: null }, at(10), HOUR)).toBe(true);
  });

  it('sends a recovery only after a failing alert was sent, once per failing alert', () => {
    expect(shouldSend('endpoint.recovered', { own: null, failing: null }, at(0), HOUR)).toBe(false);
    expect(shouldSend('endpoint.recovered', { own: null, failing: state(null) }, at(0), HOUR)).toBe(false);
    expect(shouldSend('endpoint.recovered', { own: null, failing: state(5) }, at(10), HOUR)).toBe(true);
    expect(shouldSend('endpoint.recovered', { own: state(10), failing: state(5) }, at(20), HOUR)).toBe(false);
    expect(shouldSend('endpoint.recovered', { own: state(10), failing: state(15) }, at(20), HOUR)).toBe(true);
  });
});

describe('endpointOrigin', () => {
  it('keeps scheme, host and port, and drops credentials, path and query', () => {
    expect(endpointOrigin('https://user:pw@ERP.example.com:8443/hooks/{order.id}?token=x')).toBe('https://erp.example.com:8443');
    expect(endpointOrigin('mailto:ops@example.com')).toBe('mailto:');
    expect(endpointOrigin('kafka://Kafka-1:9092,kafka-2:9092/orders')).toBe('kafka://kafka-1:9092,kafka-2:9092');
    expect(endpointOrigin(null)).toBeNull();
    expect(endpointOrigin('not a url')).toBeNull();
  });
});

describe('isAlertType', () => {
  it('knows the four alert types and nothing else', () => {
    expect(['endpoint.failing', 'endpoint.recovered', 'endpoint.disabled', 'delivery.dead'].every(isAlertType)).toBe(true);
    expect(isAlertType('order.state.changed')).toBe(false);
  });
});
