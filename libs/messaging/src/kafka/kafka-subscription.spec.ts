import { Consumer, ConsumerRunConfig, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import { BatchHandler, ConsumerProgress, IncomingMessage } from '../event-bus.port';
import { HandlerFailedError } from './handler-failed.error';
import { COMMIT_INTERVAL_MS, KafkaSubscription } from './kafka-subscription';

const message = (offset: string, key: string, value: string, headers: IHeaders = {}): KafkaMessage => ({
  offset,
  key: Buffer.from(key),
  value: Buffer.from(value),
  headers,
  timestamp: '0',
  attributes: 0,
});

function setup(
  handleBatch: BatchHandler = async () => undefined,
  onProgress?: (progress: ConsumerProgress) => void,
  /** Runs before a batch's commit is recorded; a commit's round trip. */
  commitRoundTrip: () => Promise<void> = async () => undefined,
) {
  let crashListener: ((event: { payload: { error: Error; restart: boolean } }) => void) | undefined;
  let runConfig: ConsumerRunConfig | undefined;
  const calls: string[] = [];
  const consumer = {
    events: { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' },
    on: jest.fn((event: string, listener: typeof crashListener) => {
      if (event === 'consumer.crash') crashListener = listener;
      return () => undefined;
    }),
    commitOffsets: jest.fn(async (offsets: unknown) => void calls.push(`consumer commit ${JSON.stringify(offsets)}`)),
    connect: jest.fn(async () => undefined),
    subscribe: jest.fn(async () => undefined),
    run: jest.fn(async (config: ConsumerRunConfig) => {
      runConfig = config;
    }),
    disconnect: jest.fn(async () => void calls.push('disconnect')),
  };
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const sut = new KafkaSubscription(consumer as unknown as Consumer, { groupId: 'ingest', topics: ['orders'], handleBatch, onProgress }, 3, logger, () => undefined);

  const payload = (messages: KafkaMessage[]) =>
    ({
      batch: {
        topic: 'orders',
        partition: 2,
        messages,
        firstOffset: () => messages[0].offset,
        lastOffset: () => messages[messages.length - 1].offset,
        offsetLag: () => '5',
      },
      resolveOffset: jest.fn((offset: string) => void calls.push(`resolve ${offset}`)),
      uncommittedOffsets: () => ({ topics: [{ topic: 'orders', partitions: [{ partition: 2, offset: String(Number(messages[messages.length - 1].offset) + 1) }] }] }),
      commitOffsetsIfNecessary: jest.fn(async (offsets: unknown) => {
        calls.push(`commit sent ${JSON.stringify(offsets)}`);
        await commitRoundTrip();
        calls.push(`commit ${JSON.stringify(offsets)}`);
      }),
      heartbeat: jest.fn(async () => void calls.push('heartbeat')),
      isRunning: () => true,
      isStale: () => false,
    }) as unknown as EachBatchPayload;

  return {
    sut,
    consumer,
    logger,
    calls,
    eachBatch: (messages: KafkaMessage[]) => runConfig!.eachBatch!(payload(messages)),
    crash: (restart: boolean) => crashListener!({ payload: { error: new Error('GROUP_AUTHORIZATION_FAILED'), restart } }),
  };
}

describe('KafkaSubscription', () => {
  afterEach(() => jest.useRealTimers());

  it('subscribes from the beginning with manual commits', async () => {
    const { sut, consumer } = setup();
    await sut.start();
    expect(consumer.subscribe).toHaveBeenCalledWith({ topics: ['orders'], fromBeginning: true });
    expect(consumer.run).toHaveBeenCalledWith(expect.objectContaining({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 3 }));
  });

  it('hands the whole batch as strings to the handler, then resolves the last offset, heartbeats and commits', async () => {
    const received: IncomingMessage[][] = [];
    const { sut, calls, eachBatch } = setup(async (batch) => {
      received.push(batch);
      calls.push('handled');
    });
    await sut.start();
    await eachBatch([message('6', 'order-1', '{"a":1}', { trace: Buffer.from('t1') }), message('7', 'order-1', '{"a":2}')]);

    expect(received).toEqual([
      [
        { topic: 'orders', partition: 2, offset: '6', key: 'order-1', value: '{"a":1}', headers: { trace: 't1' } },
        { topic: 'orders', partition: 2, offset: '7', key: 'order-1', value: '{"a":2}', headers: {} },
      ],
    ]);
    const offsets = JSON.stringify({ topics: [{ topic: 'orders', partitions: [{ partition: 2, offset: '8' }] }] });
    expect(calls.slice(0, 2)).toEqual(['handled', 'resolve 7']);
    expect(calls.slice(2).sort()).toEqual([`commit ${offsets}`, `commit sent ${offsets}`, 'heartbeat'].sort());
  });

  it('reports the partition lag after each handled batch', async () => {
    const progress: ConsumerProgress[] = [];
    const { sut, calls, eachBatch } = setup(async () => void calls.push('handled'), (reported) => {
      progress.push(reported);
      calls.push('progress');
    });
    await sut.start();
    await eachBatch([message('6', 'order-1', '{}'), message('7', 'order-1', '{}')]);
    expect(progress).toEqual([{ topic: 'orders', partition: 2, lag: 5 }]);
    expect(calls.indexOf('progress')).toBeGreaterThan(calls.indexOf('resolve 7'));
  });

  it('does not hold the next fetch for a commit, runs commits one after the other, and waits for them at stop', async () => {
    jest.useFakeTimers();
    let finishCommit: () => void = () => undefined;
    const { sut, calls, consumer, eachBatch } = setup(undefined, undefined, () => new Promise<void>((resolve) => (finishCommit = resolve)));
    await sut.start();
    // The batch returns (kafkajs may fetch again) while its commit is still on its way.
    await eachBatch([message('6', 'order-1', '{}')]);
    expect(calls[0]).toBe('resolve 6');
    expect(calls.slice(1).sort()).toEqual([`commit sent ${JSON.stringify({ topics: [{ topic: 'orders', partitions: [{ partition: 2, offset: '7' }] }] })}`, 'heartbeat'].sort());

    // The timer's commit waits for the one in flight.
    await eachBatch([message('7', 'order-1', '{}')]);
    await jest.advanceTimersByTimeAsync(COMMIT_INTERVAL_MS);
    expect(consumer.commitOffsets).not.toHaveBeenCalled();
    const stopped = sut.stop();
    finishCommit();
    await stopped;
    expect(calls.slice(-3)).toEqual([
      `commit ${JSON.stringify({ topics: [{ topic: 'orders', partitions: [{ partition: 2, offset: '7' }] }] })}`,
      `consumer commit ${JSON.stringify([{ topic: 'orders', partition: 2, offset: '8' }])}`,
      'disconnect',
    ]);
  });

  it('commits a batch handled within the commit interval with the next commit: by the timer, or at stop before leaving', async () => {
    jest.useFakeTimers();
    const { sut, calls, eachBatch } = setup();
    await sut.start();
    await eachBatch([message('6', 'order-1', '{}')]);
    await eachBatch([message('7', 'order-1', '{}')]);
    const committed = () => calls.filter((call) => call.includes('commit') && !call.startsWith('commit sent'));
    expect(committed()).toEqual([`commit ${JSON.stringify({ topics: [{ topic: 'orders', partitions: [{ partition: 2, offset: '7' }] }] })}`]);

    await jest.advanceTimersByTimeAsync(COMMIT_INTERVAL_MS);
    expect(committed()).toEqual([
      `commit ${JSON.stringify({ topics: [{ topic: 'orders', partitions: [{ partition: 2, offset: '7' }] }] })}`,
      `consumer commit ${JSON.stringify([{ topic: 'orders', partition: 2, offset: '8' }])}`,
    ]);

    await eachBatch([message('8', 'order-1', '{}')]);
    await sut.stop();
    expect(calls.slice(-2)).toEqual([`consumer commit ${JSON.stringify([{ topic: 'orders', partition: 2, offset: '9' }])}`, 'disconnect']);
  });

  it('neither resolves nor commits when the handler throws, and fails the batch with a retriable error', async () => {
    const { sut, calls, logger, eachBatch } = setup(async () => {
      throw new TypeError('cannot read properties of undefined');
    });
    await sut.start();
    const failure = eachBatch([message('6', 'order-1', '{}')]).catch((error: unknown) => error);

    await expect(failure).resolves.toBeInstanceOf(HandlerFailedError);
    await expect(failure).resolves.toMatchObject({ retriable: true });
    expect(calls).toEqual([]);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('orders[2] offsets 6..6; the batch will be delivered again'));
  });

  it('restarts the consumer itself when kafkajs gives up after a crash, but not after stop()', async () => {
    jest.useFakeTimers();
    const { sut, consumer, crash } = setup();
    await sut.start();
    expect(consumer.run).toHaveBeenCalledTimes(1);

    crash(true);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(consumer.run).toHaveBeenCalledTimes(1);

    crash(false);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(consumer.connect).toHaveBeenCalledTimes(2);
    expect(consumer.run).toHaveBeenCalledTimes(2);

    crash(false);
    await sut.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(consumer.run).toHaveBeenCalledTimes(2);
  });
});
