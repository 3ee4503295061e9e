import { applyDecorators } from '@nestjs/common';
import { Expose, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, ValidateBy } from 'class-validator';
import { ADMIN_TOKENS_PATTERN, API_TOKENS_PATTERN, parseAdminTokens, parseApiTokens } from './validate-config';
import { ENCRYPTION_KEY_PATTERN } from '../crypto/secret-box';
import { tracingSettings, TracingSettings, TracingVariables } from '../tracing/tracing-settings';

/** The merchant and token of the embedded default (`npm start`); no other start accepts them. */
export const DEMO_API_TOKENS = 'demo:demo-token';
const DEMO_TOKEN = 'demo-token';

/**
 * The key the embedded default seals with when `ENCRYPTION_KEY` is not set. Published here, so
 * anything sealed with it is as good as plaintext: no other start accepts it.
 */
export const DEMO_ENCRYPTION_KEY = 'dfUxKfqJozqPqMdcZqBS19/zrrVKzi4aacrxYrs5IA0=';

const toBoolean = ({ value }: { value: unknown }) => (typeof value === 'string' ? value === 'true' || value === '1' : value);
const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' ? Number(value) : value);

/** An integer variable whose error names the variable, as a failed boot should. */
const WholeNumber = (variable: string, min: number, max: number) => {
  const message = `${variable} must be a whole number from ${min} to ${max}`;
  return applyDecorators(Expose({ name: variable }), Transform(toInt), IsInt({ message }), Min(min, { message }), Max(max, { message }));
};

/** `min.insync.replicas` above the replication factor would refuse every publish with acks=all. */
const AtMostReplicationFactor = () => ValidateBy({
  name: 'atMostReplicationFactor',
  validator: {
    validate: (value: unknown, args) => typeof value === 'number' && value <= Number((args?.object as CommonConfig | undefined)?.kafkaReplicationFactor),
    defaultMessage: () => 'KAFKA_MIN_INSYNC_REPLICAS must not exceed KAFKA_REPLICATION_FACTOR (every publish would be refused)',
  },
});

/** An operator token that is also a merchant's would make that merchant an operator. */
const NotAnApiToken = () => ValidateBy({
  name: 'notAnApiToken',
  validator: {
    validate: (value: unknown, args) => {
      const merchantTokens = parseApiTokens(String((args?.object as CommonConfig | undefined)?.apiTokens ?? ''));
      return !parseAdminTokens(String(value)).some((token) => merchantTokens.has(token));
    },
    defaultMessage: () => 'ADMIN_TOKENS must not repeat a token of API_TOKENS',
  },
});

const OTLP_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };
const OTLP_PROTOCOLS = ['http/json', 'http/protobuf'];
const OTLP_PROTOCOL_MESSAGE = (variable: string) => `${variable} must be http/json or http/protobuf (spans are sent as OTLP over HTTP; grpc is not supported)`;

/** The variables both services read; each app's config class extends it. */
export class CommonConfig {
  @Expose({ name: 'PORT' }) @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  port!: number;

  @Expose({ name: 'DATABASE_URL' }) @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  databaseUrl?: string;

  @Expose({ name: 'KAFKA_BROKERS' }) @IsOptional() @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must be host:port[,host:port]' })
  kafkaBrokers?: string;

  /** Prefix of every Kafka topic and consumer group, so environments can share a cluster. */
  @Expose({ name: 'KAFKA_TOPIC_PREFIX' }) @Matches(/^[A-Za-z0-9._-]{0,100}$/, { message: 'KAFKA_TOPIC_PREFIX may hold letters, digits, dot, underscore and dash' })
  kafkaTopicPrefix: string = '';

  @Expose({ name: 'API_TOKENS' }) @IsString() @Matches(API_TOKENS_PATTERN, { message: 'API_TOKENS must be merchant:token[,merchant:token] with tokens of at least 8 characters' })
  apiTokens: string = DEMO_API_TOKENS;

  /** Operator tokens for service-wide actions (signing-key rotation); none by default, so those routes answer 401. */
  @Expose({ name: 'ADMIN_TOKENS' }) @IsString() @Matches(ADMIN_TOKENS_PATTERN, { message: 'ADMIN_TOKENS must be token[,token] with tokens of at least 16 characters' }) @NotAnApiToken()
  adminTokens: string = '';

  /** A key ring: the first key seals, every key opens (see SecretBox). */
  @Expose({ name: 'ENCRYPTION_KEY' }) @IsString()
  @Matches(ENCRYPTION_KEY_PATTERN, { message: 'ENCRYPTION_KEY must be one or more comma-separated keys of 32 random bytes, base64 or hex (openssl rand -base64 32)' })
  encryptionKey: string = DEMO_ENCRYPTION_KEY;

  @Expose({ name: 'ALLOW_PRIVATE_TARGETS' }) @Transform(toBoolean) @IsBoolean()
  allowPrivateTargets: boolean = false;

  @Expose({ name: 'LOG_LEVEL' }) @IsIn(['error', 'warn', 'log', 'debug', 'verbose'])
  logLevel: string = 'log';

  @Expose({ name: 'LOG_FORMAT' }) @IsIn(['json', 'pretty'])
  logFormat: string = 'json';

  /** Partitions of the topics the services create: the most notification-service instances that ingest in parallel. */
  @WholeNumber('KAFKA_PARTITIONS', 1, 1000)
  kafkaPartitions: number = 3;

  /** Copies of each partition on the topics the services create: 1 fits a single broker, 3 a production cluster. */
  @WholeNumber('KAFKA_REPLICATION_FACTOR', 1, 10)
  kafkaReplicationFactor: number = 1;

  /** Replicas that must have a change before a publish (acks=all) succeeds: 2 with a replication factor of 3. */
  @WholeNumber('KAFKA_MIN_INSYNC_REPLICAS', 1, 10) @AtMostReplicationFactor()
  kafkaMinInsyncReplicas: number = 1;

  get kafkaTopics(): { partitions: number; replicationFactor: number; minInsyncReplicas: number } {
    return { partitions: this.kafkaPartitions, replicationFactor: this.kafkaReplicationFactor, minInsyncReplicas: this.kafkaMinInsyncReplicas };
  }

  /**
   * Set by code, never by the environment: true only when the embedded default launcher loaded
   * this config (see `loadConfig`). It alone may run on the demo secrets and read what the
   * embedded default sealed before key rings.
   */
  embeddedDefault = false;

  get brokers(): string[] | undefined {
    return this.kafkaBrokers ? this.kafkaBrokers.split(',') : undefined;
  }

  // OpenTelemetry: the standard variables, read as the specification defines them, except that tracing is off
  // unless they ask for it (see tracingSettings). The exporter reads the other OTEL_EXPORTER_OTLP_* itself.

  @Expose({ name: 'OTEL_SDK_DISABLED' }) @Transform(toBoolean) @IsBoolean()
  otelSdkDisabled: boolean = false;

  @Expose({ name: 'OTEL_TRACES_EXPORTER' }) @IsOptional()
  @Matches(/^\s*(otlp|console|none)\s*(,\s*(otlp|console|none)\s*)*$/, { message: 'OTEL_TRACES_EXPORTER must be otlp, console or none (comma-separated)' })
  otelTracesExporter?: string;

  @Expose({ name: 'OTEL_EXPORTER_OTLP_ENDPOINT' }) @IsOptional() @IsUrl(OTLP_URL, { message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://localhost:4318' })
  otelExporterOtlpEndpoint?: string;

  @Expose({ name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' }) @IsOptional()
  @IsUrl(OTLP_URL, { message: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL such as http://localhost:4318/v1/traces' })
  otelExporterOtlpTracesEndpoint?: string;

  /** Only OTLP over HTTP is exported (JSON bodies, which every OTLP/HTTP receiver takes); a gRPC endpoint would silently get nothing. */
  @Expose({ name: 'OTEL_EXPORTER_OTLP_PROTOCOL' }) @IsOptional() @IsIn(OTLP_PROTOCOLS, { message: OTLP_PROTOCOL_MESSAGE('OTEL_EXPORTER_OTLP_PROTOCOL') })
  otelExporterOtlpProtocol?: string;

  @Expose({ name: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' }) @IsOptional() @IsIn(OTLP_PROTOCOLS, { message: OTLP_PROTOCOL_MESSAGE('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') })
  otelExporterOtlpTracesProtocol?: string;

  /** Null when tracing is off. */
  get tracing(): TracingSettings | null {
    const variables: TracingVariables = this;
    return tracingSettings(variables);
  }
}


/**
 * The demo secrets are published in the README and the code: a deployment running on them has
 * no authentication and no encryption worth the name, so it must not start. Returns what is
 * wrong, one line per variable.
 */
export function demoSecretsIn(config: CommonConfig): string[] {
  const problems: string[] = [];
  const tokens = config.apiTokens.split(',').map((pair) => pair.trim().slice(pair.trim().indexOf(':') + 1));
  if (tokens.includes(DEMO_TOKEN)) {
    problems.push(`API_TOKENS: not set, or holds the demo token (${DEMO_API_TOKENS}), which only the embedded default (npm start) may use; give merchant:token pairs of your own`);
  }
  if (config.encryptionKey.split(',').some((key) => key.trim() === DEMO_ENCRYPTION_KEY)) {
    problems.push('ENCRYPTION_KEY: not set, or holds the built-in demo key, which only the embedded default (npm start) may use; give 32 random bytes (openssl rand -base64 32)');
  }
  return problems;
}
