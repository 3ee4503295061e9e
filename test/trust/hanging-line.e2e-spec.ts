import { RecordingSink } from './support/recording-sink';
import { allEvents, BETA, createOrder, eventually, hook, inBatches, setState, smallDispatcherEnv, startTrustStack, TrustStack } from './support/services';

jest.setTimeout(60_000);

const HANG_MS = 10_000;
const CONCURRENCY = 16;
const PER_TARGET = 2;

/**
 * A fast endpoint's line may hold many waiting rows in memory (as many as the endpoint answers in
 * a quarter second), which saves giving a burst back to the database. Such a long line must not
 * take the dispatcher's room for claims, not even when its endpoint then hangs: another merchant's
 * retries, which only a claim picks up, go on long before the hanging calls time out.
 */
describe("a fast endpoint that starts hanging does not keep the room other merchants' retries need (real PostgreSQL)", () => {
  let stack: TrustStack;
  let fast: RecordingSink;
  let flaky: RecordingSink;

  beforeAll(async () => {
    fast = await RecordingSink.start();
    // Beta's receiver fails each delivery once: its second attempt is a retry, found by a claim.
    flaky = await RecordingSink.failingOnce();
    stack = await startTrustStack({
      ...smallDispatcherEnv(CONCURRENCY, PER_TARGET, HANG_MS),
    });
  });

  afterAll(async () => {
    await stack?.close();
    await fast?.close();
    await flaky?.close();
  });

  const orderTo = async (url: string, headers?: Record<string, string>) => {
    const order = await createOrder(stack.orders.http, { notifications: [hook(url, { state: ['processing'] })] }, headers);
    await setState(stack.orders.http, order.id, 'processing', headers);
  };

  it("retries beta's deliveries while alpha's once-fast endpoint hangs with a long line", async () => {
    // Alpha's endpoint answers at once: its typical call time is a few milliseconds.
    await inBatches([...Array(10).keys()], 5, () => orderTo(fast.url('/alpha/{order.id}')));
    await eventually(() => fast.received().length === 10, 15_000, () => `${fast.received().length} of 10 at the fast endpoint`);

    // Then it hangs: two calls in flight for HANG_MS, and a burst of 30 more waits for them.
    fast.answer = () => ({ status: 200, body: 'late', delayMs: 3 * HANG_MS });
    await inBatches([...Array(30).keys()], 10, () => orderTo(fast.url('/alpha/{order.id}')));
    await eventually(() => fast.received().length === 10 + PER_TARGET, 15_000, () => `${fast.received().length} at the fast endpoint`);

    const started = Date.now();
    await inBatches([...Array(5).keys()], 5, () => orderTo(flaky.url('/beta/{order.id}'), BETA));
    await eventually(
      async () => (await allEvents(stack.notifications.http, BETA)).filter((e) => e.status === 'succeeded').length === 5,
      HANG_MS / 2,
      async () => JSON.stringify((await allEvents(stack.notifications.http, BETA)).map((e) => [e.attempt, e.status])),
      100,
    );
    expect(Date.now() - started).toBeLessThan(HANG_MS / 2);
    expect(flaky.received()).toHaveLength(10);
    // Alpha's waiting rows are still pending, none failed or sent twice.
    expect(fast.received().length).toBe(10 + PER_TARGET);
  });
});
