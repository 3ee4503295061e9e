import { OutboxSignal } from './outbox-signal';

describe('OutboxSignal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('wakes a waiting relay at once', async () => {
    const signal = new OutboxSignal();
    const woken = jest.fn();
    void signal.wait(10_000).then(woken);
    signal.notify();
    await Promise.resolve();
    expect(woken).toHaveBeenCalled();
  });

  it('remembers a notification that came while the relay was busy', async () => {
    const signal = new OutboxSignal();
    signal.notify();
    const woken = jest.fn();
    void signal.wait(10_000).then(woken);
    await Promise.resolve();
    expect(woken).toHaveBeenCalled();
  });

  it('falls back to the poll interval without notifications', async () => {
    const signal = new OutboxSignal();
    const woken = jest.fn();
    void signal.wait(500).then(woken);
    await jest.advanceTimersByTimeAsync(499);
    expect(woken).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(woken).toHaveBeenCalled();
  });

  it('tells whether a change committed since the relay last woke', async () => {
    const signal = new OutboxSignal();
    expect(signal.pending).toBe(false);
    const waiting = signal.wait(10_000);
    signal.notify();
    await waiting;
    expect(signal.pending).toBe(false);
    signal.notify();
    expect(signal.pending).toBe(true);
    await signal.wait(10_000);
    expect(signal.pending).toBe(false);
  });
});
