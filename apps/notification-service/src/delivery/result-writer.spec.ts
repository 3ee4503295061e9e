import { Logger } from '@nestjs/common';
import type { NotificationServiceConfig } from '../config/notification-service.config';
import type { NotificationMetrics } from '../metrics/notification-metrics';
import type { DispatchSignal } from './dispatch-signal';
import type { AttemptResult, DispatchRepository } from './dispatch.repository';
import type { InstanceHeartbeat } from './instance-heartbeat';
import { ResultWriter } from './result-writer';

/** A repository whose writes end when the test says so. */
function pendingWrites() {
  const writes: Array<{ ids: string[]; succeed(): void; fail(): void }> = [];
  const repository = {
    record: jest.fn((results: AttemptResult[]) => new Promise<string[]>((resolve, reject) => {
      writes.push({ ids: results.map((result) => result.eventId), succeed: () => resolve([]), fail: () => reject(new Error('database down')) });
    })),
  } as unknown as DispatchRepository;
  const writer = new ResultWriter(
    repository,
    { resultFlushMs: 5 } as NotificationServiceConfig,
    { recordAttempts: jest.fn() } as unknown as NotificationMetrics,
    { id: 'instance-1' } as unknown as InstanceHeartbeat,
    { notify: jest.fn() } as unknown as DispatchSignal,
  );
  return { writer, writes };
}

function result(eventId: string): AttemptResult {
  return {
    eventId, status: 'failed', statusCode: 500, responseBody: null, responseTruncated: false, error: 'HTTP 500', durationMs: 3, completedAt: new Date(),
    requestHeaders: null, movedTo: null, retry: null, disableTarget: false, inSequence: false,
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ResultWriter.afterWritten', () => {
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('runs at once for an attempt whose result it does not hold', () => {
    const { writer } = pendingWrites();
    const then = jest.fn();
    writer.afterWritten('e-1', then);
    expect(then).toHaveBeenCalledTimes(1);
  });

  it('waits until the write that carries the result committed: not while buffered, not while being written', async () => {
    const { writer, writes } = pendingWrites();
    writer.record(result('e-1'));
    writer.record(result('e-2'));
    const first = jest.fn();
    const second = jest.fn();
    writer.afterWritten('e-1', first);
    writer.afterWritten('e-2', second);
    expect(first).not.toHaveBeenCalled();

    await jest.advanceTimersByTimeAsync(5);
    expect(writes).toHaveLength(1);
    expect(writes[0].ids).toEqual(['e-1', 'e-2']);
    expect(first).not.toHaveBeenCalled();

    writes[0].succeed();
    await settle();
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it('keeps waiting through a failed write, and runs once the retry wrote the result', async () => {
    const { writer, writes } = pendingWrites();
    writer.record(result('e-1'));
    const then = jest.fn();
    writer.afterWritten('e-1', then);
    await jest.advanceTimersByTimeAsync(5);
    writes[0].fail();
    await settle();
    expect(then).not.toHaveBeenCalled();

    await jest.advanceTimersByTimeAsync(1000);
    expect(writes).toHaveLength(2);
    expect(writes[1].ids).toEqual(['e-1']);
    writes[1].succeed();
    await settle();
    expect(then).toHaveBeenCalledTimes(1);
  });

  it('runs what still waits when drained at shutdown, written or not', async () => {
    const { writer, writes } = pendingWrites();
    writer.record(result('e-1'));
    const then = jest.fn();
    writer.afterWritten('e-1', then);
    const drained = writer.drain();
    await settle();
    writes[0].fail();
    await drained;
    expect(then).toHaveBeenCalledTimes(1);
  });
});
