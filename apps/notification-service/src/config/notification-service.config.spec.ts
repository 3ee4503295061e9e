import { DEMO_API_TOKENS, DEMO_ENCRYPTION_KEY, loadConfig } from '@ordercast/platform';
import { NotificationServiceConfig } from './notification-service.config';

const OWN_SECRETS = { API_TOKENS: 'alpha:alpha-token-1', ENCRYPTION_KEY: '1GzJHZyERucXR+zC7Emvgn+e6iiafDNBZJ1bmWsu9/0=' };

describe('NotificationServiceConfig: demo secrets', () => {
  it.each([
    ['API_TOKENS', { ENCRYPTION_KEY: OWN_SECRETS.ENCRYPTION_KEY }],
    ['API_TOKENS', { ...OWN_SECRETS, API_TOKENS: DEMO_API_TOKENS }],
    ['ENCRYPTION_KEY', { API_TOKENS: OWN_SECRETS.API_TOKENS }],
    ['ENCRYPTION_KEY', { ...OWN_SECRETS, ENCRYPTION_KEY: DEMO_ENCRYPTION_KEY }],
  ])('refuses to load, naming %s', (variable, env) => {
    expect(() => loadConfig(NotificationServiceConfig, env)).toThrow(new RegExp(`${variable}: .*only the embedded default`));
  });

  it('loads them for the embedded default launcher only', () => {
    expect(loadConfig(NotificationServiceConfig, {}, { embeddedDefault: true })).toMatchObject({ apiTokens: DEMO_API_TOKENS, encryptionKey: DEMO_ENCRYPTION_KEY });
    expect(loadConfig(NotificationServiceConfig, OWN_SECRETS)).toMatchObject({ encryptionKey: OWN_SECRETS.ENCRYPTION_KEY, embeddedDefault: false });
  });
});

describe('NotificationServiceConfig: dispatch isolation and leases', () => {
  it('defaults to per-endpoint and per-host limits, a 1 s heartbeat with a 5 s timeout and a 10 s Kafka session', () => {
    const config = loadConfig(NotificationServiceConfig, OWN_SECRETS);
    expect(config).toMatchObject({
      perTargetConcurrency: 64,
      perHostConcurrency: 128,
      circuitHostMerchants: 3,
      instanceHeartbeatMs: 1000,
      instanceTimeoutMs: 5000,
      kafkaSessionTimeoutMs: 10_000,
    });
  });

  it('reads the variables', () => {
    const config = loadConfig(NotificationServiceConfig, {
      ...OWN_SECRETS, PER_HOST_CONCURRENCY: '32', CIRCUIT_HOST_MERCHANTS: '5', INSTANCE_HEARTBEAT_MS: '200', INSTANCE_TIMEOUT_MS: '600', KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    expect(config).toMatchObject({ perHostConcurrency: 32, circuitHostMerchants: 5, instanceHeartbeatMs: 200, instanceTimeoutMs: 600, kafkaSessionTimeoutMs: 6000 });
  });

  it.each([
    [{ PER_HOST_CONCURRENCY: '0' }, 'PER_HOST_CONCURRENCY must be an integer from 1 to 5000'],
    [{ CIRCUIT_HOST_MERCHANTS: '1' }, 'CIRCUIT_HOST_MERCHANTS must be an integer from 2 to 1000'],
    [{ INSTANCE_HEARTBEAT_MS: 'often' }, 'INSTANCE_HEARTBEAT_MS must be an integer from 100 to 60000'],
    [{ INSTANCE_TIMEOUT_MS: '100' }, 'INSTANCE_TIMEOUT_MS must be an integer from 500 to 600000'],
    [{ INSTANCE_HEARTBEAT_MS: '1000', INSTANCE_TIMEOUT_MS: '2000' }, 'INSTANCE_TIMEOUT_MS must be at least three times INSTANCE_HEARTBEAT_MS'],
    [{ KAFKA_SESSION_TIMEOUT_MS: '500' }, 'KAFKA_SESSION_TIMEOUT_MS must be an integer from 1000 to 1800000'],
  ])('fails naming the variable for %j', (env, message) => {
    expect(() => loadConfig(NotificationServiceConfig, { ...OWN_SECRETS, ...env })).toThrow(message);
  });
});

describe('NotificationServiceConfig: alerts', () => {
  it('debounces an alert for an hour unless ALERT_DEBOUNCE_MS says otherwise', () => {
    expect(loadConfig(NotificationServiceConfig, OWN_SECRETS).alertDebounceMs).toBe(3_600_000);
    expect(loadConfig(NotificationServiceConfig, { ...OWN_SECRETS, ALERT_DEBOUNCE_MS: '60000' }).alertDebounceMs).toBe(60_000);
  });

  it.each(['-1', '604800001', 'hourly'])('fails naming ALERT_DEBOUNCE_MS for %s', (value) => {
    expect(() => loadConfig(NotificationServiceConfig, { ...OWN_SECRETS, ALERT_DEBOUNCE_MS: value })).toThrow('ALERT_DEBOUNCE_MS must be an integer from 0 to 604800000');
  });
});
