import { Logger } from '@nestjs/common';
import { QueryLogger } from './query-logger';

describe('QueryLogger', () => {
  afterEach(() => jest.restoreAllMocks());

  it('logs a failed query without its parameter values', () => {
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    new QueryLogger().logQueryError(new Error('duplicate key value'), 'INSERT INTO orders.orders (id, document)\n VALUES ($1, $2)', ['o-1', { customer: { email: 'buyer@example.com' }, secret }]);
    expect(error).toHaveBeenCalledWith({ msg: 'query failed', error: 'duplicate key value', query: 'INSERT INTO orders.orders (id, document)', parameters: 2 });
    expect(JSON.stringify(error.mock.calls)).not.toMatch(/buyer@example\.com|whsec_/);
  });

  it('logs a slow query the same way, and nothing for ordinary queries', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const logger = new QueryLogger();
    logger.logQuery();
    logger.logQuerySlow(1200, 'SELECT document FROM orders.orders WHERE id = $1', ['o-1']);
    expect(warn).toHaveBeenCalledWith({ msg: 'slow query', ms: 1200, query: 'SELECT document FROM orders.orders WHERE id = $1', parameters: 1 });
    expect(log).not.toHaveBeenCalled();
  });
});
