import { LogEntry, logLevel } from 'kafkajs';
import { HandlerFailedError } from './handler-failed.error';
import { kafkaLogCreator, RepeatedLineFilter } from './kafka-logger';

describe('RepeatedLineFilter', () => {
  it('lets a line through once per window and then says how many repeats it held back', () => {
    const filter = new RepeatedLineFilter(10_000);
    expect(filter.pass('connection refused', 0)).toBe('connection refused');
    expect(filter.pass('connection refused', 1_000)).toBeNull();
    expect(filter.pass('connection refused', 9_999)).toBeNull();
    expect(filter.pass('another line', 9_999)).toBe('another line');
    expect(filter.pass('connection refused', 10_000)).toBe('connection refused (2 more since the last report)');
    expect(filter.pass('connection refused', 20_000)).toBe('connection refused');
  });
});

describe('kafkaLogCreator', () => {
  const entry = (level: logLevel, message: string, extra: Record<string, unknown> = {}): LogEntry => ({
    namespace: 'Consumer',
    level,
    label: logLevel[level],
    log: { timestamp: '2026-01-01T00:00:00.000Z', message, ...extra },
  });
  const setup = () => {
    const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
    return { logger, log: kafkaLogCreator(logger)(logLevel.WARN) };
  };

  it('logs kafkajs errors as warnings, with the group, topic, partition and error', () => {
    const { logger, log } = setup();
    log(entry(logLevel.ERROR, 'Crash', { groupId: 'ingest', topic: 't', partition: 0, error: new TypeError('boom') }));
    expect(logger.warn).toHaveBeenCalledWith('kafkajs Consumer: Crash (group ingest, topic t, partition 0): TypeError: boom');
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('drops the entries the bus reports itself or expects', () => {
    const { logger, log } = setup();
    log(entry(logLevel.WARN, 'Limiting retries for the idempotent producer may invalidate EoS guarantees'));
    log(entry(logLevel.ERROR, 'Error when calling eachBatch', { error: new HandlerFailedError('Handler failed: x') }));
    expect(logger.warn).not.toHaveBeenCalled();
  });
});
