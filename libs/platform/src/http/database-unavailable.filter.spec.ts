import { isDatabaseUnavailable } from './database-unavailable.filter';

describe('isDatabaseUnavailable', () => {
  it.each([
    ['the pool found no connection in time', new Error('timeout exceeded when trying to connect')],
    ['the connection went away', new Error('Connection terminated unexpectedly')],
    ['the server refused the connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['too many connections', Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    ['the server shuts down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a connection exception, wrapped by TypeORM', { message: 'Query failed', driverError: Object.assign(new Error('x'), { code: '08006' }) }],
  ])('is true when %s', (_, error) => expect(isDatabaseUnavailable(error)).toBe(true));

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key value'), { code: '23505' })],
    ['invalid input', Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' })],
    ['an error of our own', new Error('cannot read property of undefined')],
    ['no error at all', undefined],
  ])('is false for %s', (_, error) => expect(isDatabaseUnavailable(error)).toBe(false));
});
