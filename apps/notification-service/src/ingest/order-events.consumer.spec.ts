import { Logger } from '@nestjs/common';
import { ORDER_EVENTS_TOPIC } from '@ordercast/contracts';
import type { EventBus, SubscribeOptions } from '@ordercast/messaging';
import { CONSUMER_GROUP, OrderEventsConsumer } from './order-events.consumer';
import type { NotificationMetrics } from '../metrics/notification-metrics';
import type { OrderEventsIngest } from './order-events.ingest';

function setup(failures: number) {
  let calls = 0;
  const stop = jest.fn(async () => undefined);
  const subscribe = jest.fn(async (_: SubscribeOptions) => ({ stop }));
  const bus = {
    ensureTopics: jest.fn(async () => {
      calls += 1;
      if (calls <= failures) throw new Error('broker unreachable');
    }),
    subscribe,
  } as unknown as EventBus;
  const ingest = { handleBatch: jest.fn(async () => undefined) } as unknown as OrderEventsIngest;
  const metrics = { recordProgress: jest.fn() } as unknown as NotificationMetrics;
  return { sut: new OrderEventsConsumer(bus, ingest, metrics), bus, subscribe, stop, ingest, metrics };
}

function message(partition: number, offset: string) {
  return { topic: ORDER_EVENTS_TOPIC, partition, offset, key: `o-${partition}`, value: '{}', headers: {} };
}

describe('OrderEventsConsumer', () => {
  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('subscribes as group notification-service to the order change topic', async () => {
    const { sut, subscribe } = setup(0);
    sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    expect(subscribe).toHaveBeenCalledWith(expect.objectContaining({ groupId: CONSUMER_GROUP, topics: [ORDER_EVENTS_TOPIC] }));
    await sut.onModuleDestroy();
  });

  it('lets the service boot while the bus is down and subscribes once it answers, backing off in between', async () => {
    const { sut, bus, subscribe } = setup(3);
    expect(sut.onApplicationBootstrap()).toBeUndefined();
    await jest.advanceTimersByTimeAsync(0);
    expect(subscribe).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(500 + 1000);
    expect(bus.ensureTopics).toHaveBeenCalledTimes(3);
    expect(subscribe).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(2000);
    expect(subscribe).toHaveBeenCalledTimes(1);
    await sut.onModuleDestroy();
  });

  it('hands batches to the ingest and rethrows its failure so the bus delivers the batch again', async () => {
    const { sut, subscribe, ingest } = setup(0);
    sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    const { handleBatch } = subscribe.mock.calls[0][0];
    const batch = [message(0, '0')];
    const handled = handleBatch(batch);
    await jest.advanceTimersByTimeAsync(0);
    await handled;
    expect(ingest.handleBatch).toHaveBeenCalledWith(batch);
    (ingest.handleBatch as jest.Mock).mockRejectedValueOnce(new Error('database down'));
    const failed = expect(handleBatch(batch)).rejects.toThrow('database down');
    await jest.advanceTimersByTimeAsync(0);
    await failed;
    await sut.onModuleDestroy();
  });

  it('ingests the batches of several partitions handed over in one turn together, and fails them together', async () => {
    const { sut, subscribe, ingest } = setup(0);
    sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    const { handleBatch } = subscribe.mock.calls[0][0];
    const [first, second] = [[message(0, '7'), message(0, '8')], [message(2, '3')]];
    const both = Promise.all([handleBatch(first), handleBatch(second)]);
    await jest.advanceTimersByTimeAsync(0);
    await both;
    expect(ingest.handleBatch).toHaveBeenCalledTimes(1);
    expect(ingest.handleBatch).toHaveBeenCalledWith([...first, ...second]);

    (ingest.handleBatch as jest.Mock).mockRejectedValueOnce(new Error('database down'));
    const failed = Promise.allSettled([handleBatch(first), handleBatch(second)]);
    await jest.advanceTimersByTimeAsync(0);
    expect((await failed).map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    // A later turn is a batch of its own.
    const later = handleBatch(second);
    await jest.advanceTimersByTimeAsync(0);
    await later;
    expect(ingest.handleBatch).toHaveBeenLastCalledWith(second);
    expect(ingest.handleBatch).toHaveBeenCalledTimes(3);
    await sut.onModuleDestroy();
  });

  it('stops the subscription at shutdown, and stops retrying when shut down while the bus is down', async () => {
    const up = setup(0);
    up.sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(0);
    await up.sut.onModuleDestroy();
    expect(up.stop).toHaveBeenCalledTimes(1);

    const down = setup(Infinity);
    down.sut.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(100);
    await down.sut.onModuleDestroy();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(down.bus.ensureTopics).toHaveBeenCalledTimes(1);
    expect(down.subscribe).not.toHaveBeenCalled();
  });
});
