import { activeTraceHeaders, endWhenSettled, SpanKind, startSpan, startTracing, tracingActive } from './tracing';
import { startProcessSpan, startPublishSpans } from './message-spans';

// Any of these loaded while tracing is off fails the test: off must not even load the SDK.
jest.mock('@opentelemetry/sdk-trace-base', () => { throw new Error('the trace SDK was loaded'); });
jest.mock('@opentelemetry/exporter-trace-otlp-http', () => { throw new Error('the OTLP exporter was loaded'); });
jest.mock('@opentelemetry/context-async-hooks', () => { throw new Error('the context manager was loaded'); });
jest.mock('@opentelemetry/core', () => { throw new Error('the propagator was loaded'); });

/** With tracing off every helper is a no-op that loads nothing and returns nothing to send. */
describe('tracing off', () => {
  it('starts nothing and loads no SDK module', async () => {
    await expect(startTracing('order-service', null)).resolves.toBeNull();
    expect(tracingActive()).toBe(false);
  });

  it('gives no span, no context to store and no headers to send', async () => {
    const incoming = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    expect(activeTraceHeaders()).toBeNull();
    expect(startSpan('notification-service', 'POST', SpanKind.CLIENT, incoming)).toBeNull();
    expect(startProcessSpan('notification-service', { topic: 't', key: 'k', headers: incoming }, 'change')).toBeNull();
    expect(startPublishSpans('order-service', [{ id: 'change', topic: 't', key: 'k', traceContext: incoming }]).size).toBe(0);
    await expect(endWhenSettled([null], Promise.resolve(7))).resolves.toBe(7);
  });
});
