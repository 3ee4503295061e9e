import { loadConfig } from '@ordercast/platform';
import { OrderServiceConfig } from './order-service.config';

describe('OrderServiceConfig', () => {
  it('defaults to port 3000, a pool of 10, a 500 ms poll and a day of outbox history', () => {
    const config = loadConfig(OrderServiceConfig, {});
    expect(config).toMatchObject({ port: 3000, databasePoolSize: 10, outboxPollMs: 500 });
    expect(config.outboxRetentionMs).toBe(86_400_000);
  });

  it('reads the variables', () => {
    const config = loadConfig(OrderServiceConfig, { PORT: '0', DATABASE_POOL_SIZE: '40', OUTBOX_POLL_MS: '50', OUTBOX_RETENTION: '30m' });
    expect(config).toMatchObject({ port: 0, databasePoolSize: 40, outboxPollMs: 50 });
    expect(config.outboxRetentionMs).toBe(1_800_000);
  });

  it.each([
    ['OUTBOX_POLL_MS', 'soon', 'OUTBOX_POLL_MS must be a whole number from 10 to 60000'],
    ['OUTBOX_POLL_MS', '0', 'OUTBOX_POLL_MS must be a whole number from 10 to 60000'],
    ['DATABASE_POOL_SIZE', '1.5', 'DATABASE_POOL_SIZE must be a whole number from 2 to 200'],
    ['OUTBOX_RETENTION', '1 day', 'OUTBOX_RETENTION must be a duration such as 30m or 24h'],
    ['OUTBOX_RETENTION', '1h,2h', 'OUTBOX_RETENTION must be a duration such as 30m or 24h'],
  ])('fails naming %s when it is %j', (variable, value, message) => {
    expect(() => loadConfig(OrderServiceConfig, { [variable]: value })).toThrow(message);
  });
});
