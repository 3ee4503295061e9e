import { CommonConfig } from '../config/common-config';
import { loadConfig } from '../config/validate-config';
import { DEFAULT_OTLP_TRACES_URL, tracingSettings } from './tracing-settings';

/** What `npm start` and every service get without OTEL_* variables, and what each variable turns on. */
describe('tracingSettings', () => {
  const off = { otelSdkDisabled: false };

  it('is off without OTEL_* variables', () => {
    expect(tracingSettings(off)).toBeNull();
  });

  it('exports OTLP to <endpoint>/v1/traces once OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
    expect(tracingSettings({ ...off, otelExporterOtlpEndpoint: 'http://collector:4318/' })).toEqual({ exporters: ['otlp'], otlpTracesUrl: 'http://collector:4318/v1/traces' });
  });

  it('posts to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, before the base endpoint', () => {
    expect(tracingSettings({ ...off, otelExporterOtlpEndpoint: 'http://a:4318', otelExporterOtlpTracesEndpoint: 'https://b/otlp/traces' }))
      .toEqual({ exporters: ['otlp'], otlpTracesUrl: 'https://b/otlp/traces' });
  });

  it('exports OTLP to the local collector when only OTEL_TRACES_EXPORTER=otlp is set', () => {
    expect(tracingSettings({ ...off, otelTracesExporter: 'otlp' })).toEqual({ exporters: ['otlp'], otlpTracesUrl: DEFAULT_OTLP_TRACES_URL });
  });

  it('takes the exporters OTEL_TRACES_EXPORTER names, without repeats', () => {
    expect(tracingSettings({ ...off, otelTracesExporter: 'console, otlp,console' })?.exporters).toEqual(['console', 'otlp']);
  });

  it.each([
    ['OTEL_TRACES_EXPORTER=none with an endpoint', { ...off, otelTracesExporter: 'none', otelExporterOtlpEndpoint: 'http://collector:4318' }],
    ['OTEL_SDK_DISABLED=true with an exporter and an endpoint', { otelSdkDisabled: true, otelTracesExporter: 'otlp', otelExporterOtlpEndpoint: 'http://collector:4318' }],
  ])('is off with %s', (_, variables) => {
    expect(tracingSettings(variables)).toBeNull();
  });
});

describe('OTEL_* variables in the service configuration', () => {
  const base = { PORT: '0', API_TOKENS: 'alpha:alpha-token-1', ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };

  it('are read into the tracing settings', () => {
    expect(loadConfig(CommonConfig, base).tracing).toBeNull();
    expect(loadConfig(CommonConfig, { ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).tracing)
      .toEqual({ exporters: ['otlp'], otlpTracesUrl: 'http://localhost:4318/v1/traces' });
    expect(loadConfig(CommonConfig, { ...base, OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }).tracing).toBeNull();
  });

  it.each([
    ['OTEL_TRACES_EXPORTER', 'zipkin', 'OTEL_TRACES_EXPORTER: OTEL_TRACES_EXPORTER must be otlp, console or none'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'localhost:4318', 'OTEL_EXPORTER_OTLP_ENDPOINT: OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'grpc://collector:4317', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'OTEL_EXPORTER_OTLP_PROTOCOL: OTEL_EXPORTER_OTLP_PROTOCOL must be http/json or http/protobuf'],
  ])('refuse a bad %s at start, naming it', (variable, value, message) => {
    expect(() => loadConfig(CommonConfig, { ...base, [variable]: value })).toThrow(message);
  });
});
