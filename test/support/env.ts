/** The operator token (ADMIN_TOKENS) of every test service. */
export const TEST_OPERATOR_TOKEN = 'operator-token-of-the-tests';

/**
 * The services' shared ENCRYPTION_KEY in tests (32 random bytes, base64): not the built-in demo
 * key, which only the embedded default accepts. Tests open what the services sealed with it.
 */
export const TEST_ENCRYPTION_KEY = 'QVDcfeNXbwM4UboRvanSPgD6X5T6ai4lduzHvGjUI1k=';

/**
 * The environment every in-process test service starts with: both test merchants' tokens, an operator token,
 * the test encryption key,
 * private targets allowed (the sinks are on loopback), quiet logs, and schedules short enough
 * for retry chains to finish within a test.
 */
export const TEST_SERVICE_ENV = {
  PORT: '0',
  API_TOKENS: 'alpha:alpha-token-1,beta:beta-token-1',
  ADMIN_TOKENS: TEST_OPERATOR_TOKEN,
  ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  ALLOW_PRIVATE_TARGETS: 'true',
  LOG_LEVEL: 'error',
  RETRY_SCHEDULE: '50ms,50ms,50ms',
  DISPATCH_POLL_MS: '50',
  DELIVERY_TIMEOUT_MS: '2000',
};
