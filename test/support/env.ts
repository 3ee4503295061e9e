/** The operator token (ADMIN_TOKENS) of every test service. */
export const TEST_OPERATOR_TOKEN = 'operator-token-of-the-tests';

/**
 * The environment every in-process test service starts with: both demo merchants' tokens, an operator token,
 * private targets allowed (the sinks are on loopback), quiet logs, and schedules short enough
 * for retry chains to finish within a test.
 */
export const TEST_SERVICE_ENV = {
  PORT: '0',
  API_TOKENS: 'alpha:alpha-token-1,beta:beta-token-1',
  ADMIN_TOKENS: TEST_OPERATOR_TOKEN,
  ALLOW_PRIVATE_TARGETS: 'true',
  LOG_LEVEL: 'error',
  RETRY_SCHEDULE: '50ms,50ms,50ms',
  DISPATCH_POLL_MS: '50',
  DELIVERY_TIMEOUT_MS: '2000',
};
