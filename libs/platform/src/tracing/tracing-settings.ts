/** The standard OpenTelemetry variables Ordercast reads to decide whether, and where, it exports traces. */
export interface TracingVariables {
  /** `OTEL_SDK_DISABLED`: true turns tracing off whatever else is set. */
  otelSdkDisabled: boolean;
  /** `OTEL_TRACES_EXPORTER`: comma-separated `otlp`, `console`, `none`. */
  otelTracesExporter?: string;
  /** `OTEL_EXPORTER_OTLP_ENDPOINT`: the collector's base URL; traces go to its `/v1/traces`. */
  otelExporterOtlpEndpoint?: string;
  /** `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`: the full traces URL, used as given. */
  otelExporterOtlpTracesEndpoint?: string;
}

export type TraceExporterKind = 'otlp' | 'console';

/** Tracing turned on: where the spans go. */
export interface TracingSettings {
  exporters: TraceExporterKind[];
  /** Where the `otlp` exporter posts (OTLP over HTTP, JSON bodies). */
  otlpTracesUrl: string;
}

/** The OTLP/HTTP default of the OpenTelemetry specification: a collector on this host. */
export const DEFAULT_OTLP_TRACES_URL = 'http://localhost:4318/v1/traces';

/**
 * Off by default, unlike the OpenTelemetry SDK (whose default exporter is `otlp`): a service nobody
 * asked to trace must not post spans to localhost:4318 nor pay for recording them. The rule:
 * - `OTEL_SDK_DISABLED=true`: off;
 * - `OTEL_TRACES_EXPORTER` set: on with the exporters it names (`otlp`, `console`), off when it is `none`;
 * - otherwise on, with `otlp`, when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set;
 * - otherwise off.
 * Returns null when off. The variables are validated beforehand (see `CommonConfig`).
 */
export function tracingSettings(variables: TracingVariables): TracingSettings | null {
  if (variables.otelSdkDisabled) return null;
  const named = (variables.otelTracesExporter ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  const endpointSet = variables.otelExporterOtlpEndpoint !== undefined || variables.otelExporterOtlpTracesEndpoint !== undefined;
  const exporters: TraceExporterKind[] = named.length > 0
    ? [...new Set(named.filter((name): name is TraceExporterKind => name === 'otlp' || name === 'console'))]
    : endpointSet ? ['otlp'] : [];
  if (exporters.length === 0) return null;
  return { exporters, otlpTracesUrl: otlpTracesUrl(variables) };
}

/** As the specification says: the signal's own variable as given, else the base endpoint with `/v1/traces` appended. */
function otlpTracesUrl({ otelExporterOtlpEndpoint: base, otelExporterOtlpTracesEndpoint: traces }: TracingVariables): string {
  if (traces !== undefined) return traces;
  if (base !== undefined) return `${base.replace(/\/+$/, '')}/v1/traces`;
  return DEFAULT_OTLP_TRACES_URL;
}
