import { RecordingSink } from './support/recording-sink';
import { allEvents, BETA, createOrder, eventually, hook, inBatches, setState, smallDispatcherEnv, startTrustStack, TrustStack } from './support/services';

jest.setTimeout(60_000);

const GAMMA = { 'x-merchant': 'gamma', authorization: 'Bearer gamma-token-1' };
const HANG_MS = 10_000;
const CONCURRENCY = 16;
const PER_TARGET = 2;
/** Enough hanging endpoints for alpha to fill every slot, were it not for its share. */
const HANGING = CONCURRENCY / PER_TARGET;

/**
 * No merchant holds more than half of the dispatch slots, however many endpoints it spreads its
 * deliveries over, and the last quarter is kept for merchants with few calls in flight. Alpha's
 * and gamma's eight endpoints each all hang, with work queued for each (2 in flight per endpoint
 * would take all 16 slots, and half for each would too); beta's deliveries, each refused once
 * with 500 so that its second attempt comes from a claim while the others' waiting rows fill the
 * room, all succeed long before the hanging calls time out.
 */
describe('merchants whose endpoints all hang keep no more than their share of the slots (real PostgreSQL)', () => {
  let stack: TrustStack;
  let hanging: RecordingSink[];
  let alsoHanging: RecordingSink[];
  let flaky: RecordingSink;

  beforeAll(async () => {
    const hang = () => RecordingSink.start(() => ({ status: 200, body: 'late', delayMs: 3 * HANG_MS }));
    hanging = await Promise.all(Array.from({ length: HANGING }, hang));
    alsoHanging = await Promise.all(Array.from({ length: HANGING }, hang));
    flaky = await RecordingSink.failingOnce();
    stack = await startTrustStack({
      API_TOKENS: `alpha:alpha-token-1,beta:beta-token-1,gamma:${GAMMA.authorization.slice('Bearer '.length)}`,
      ...smallDispatcherEnv(CONCURRENCY, PER_TARGET, HANG_MS),
    });
  });

  afterAll(async () => {
    await stack?.close();
    await Promise.all([...(hanging ?? []), ...(alsoHanging ?? [])].map((sink) => sink.close()));
    await flaky?.close();
  });

  const calls = (sinks: RecordingSink[]) => sinks.reduce((sum, sink) => sum + sink.received().length, 0);
  const inFlightAtAlpha = () => calls(hanging);
  const hangAll = async (sinks: RecordingSink[], merchant: string, headers?: Record<string, string>) => {
    const registrations = sinks.map((sink) => hook(sink.url(`/${merchant}/{order.id}`), { state: ['processing'] }));
    await inBatches([...Array(4).keys()], 4, async () => {
      const order = await createOrder(stack.orders.http, { notifications: registrations }, headers);
      await setState(stack.orders.http, order.id, 'processing', headers);
    });
  };

  it("delivers beta's deliveries and retries while every endpoint of alpha, then of gamma too, hangs", async () => {
    await hangAll(hanging, 'alpha');
    await eventually(() => inFlightAtAlpha() >= CONCURRENCY / 2, 15_000, () => `${inFlightAtAlpha()} calls at alpha's endpoints`);
    await hangAll(alsoHanging, 'gamma', GAMMA);
    // Gamma gets what is left above the reserve: a quarter of the slots stays for merchants with few calls.
    await eventually(() => calls(alsoHanging) >= CONCURRENCY / 4, 15_000, () => `${calls(alsoHanging)} calls at gamma's endpoints`);

    const started = Date.now();
    await inBatches([...Array(5).keys()], 5, async () => {
      const order = await createOrder(stack.orders.http, { notifications: [hook(flaky.url('/beta/{order.id}'), { state: ['processing'] })] }, BETA);
      await setState(stack.orders.http, order.id, 'processing', BETA);
    });
    await eventually(
      async () => (await allEvents(stack.notifications.http, BETA)).filter((e) => e.status === 'succeeded').length === 5,
      HANG_MS / 2,
      async () => `${inFlightAtAlpha()} calls at alpha; beta: ${JSON.stringify((await allEvents(stack.notifications.http, BETA)).map((e) => [e.attempt, e.status]))}`,
      100,
    );
    expect(Date.now() - started).toBeLessThan(HANG_MS / 2);
    expect(flaky.received()).toHaveLength(10);
    // Alpha had its share in flight, gamma what was left above the reserve, and not one call more.
    expect(inFlightAtAlpha()).toBe(CONCURRENCY / 2);
    expect(calls(alsoHanging)).toBe(CONCURRENCY / 4);
  });
});
