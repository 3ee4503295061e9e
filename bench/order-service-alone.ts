/**
 * order-service on its own: requests per second of the order API when nothing downstream has work, so the
 * figure is the service's (and its database's) cost per request, not the pipeline's. Two workloads, both
 * closed loops with bounded concurrency like the pipeline phases: payment changes on orders with no
 * registrations (each a write of the order and an outbox row; notification-service only ingests changes that
 * match nothing), and `GET /orders/{id}`.
 */
import { now } from './clock';
import { ALONE_CHANNEL, BenchOrder, emptyAccepted, MERCHANT, OrderDriver, TOKEN } from './driver';
import { countsBetween } from './pg-counter';
import { resetStatements, topStatements } from './pg-stats';
import type { Context } from './pipeline';
import { AloneResult, distribution, PgRoundTrips } from './report';

export type AloneWorkload = 'changes' | 'reads';

/**
 * Creates `concurrency * ordersPerWorker` orders on a channel with no configuration and no registrations of
 * their own, each with one payment (setup, not measured). Then runs `workload` for `seconds`: each worker cycles
 * through its own orders, one request at a time. `measuring` is called when the measured window opens (after the setup).
 */
export async function measureOrderServiceAlone(ctx: Context, workload: AloneWorkload, seconds: number, ordersPerWorker: number, measuring: () => void): Promise<AloneResult> {
  const concurrency = ctx.driverConcurrency;
  const setup = new OrderDriver(ctx.orderService.url, concurrency, { channel: [], order: [] }, emptyAccepted(), { merchant: MERCHANT, token: TOKEN }, ALONE_CHANNEL);
  const workers: BenchOrder[][] = [];
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async (_, worker) => {
        const orders: BenchOrder[] = [];
        for (let index = 0; index < ordersPerWorker; index++) {
          const order = await setup.createOrder(4_000_000 + worker * ordersPerWorker + index);
          if (order && (await setup.changePayment(order))) orders.push(order);
        }
        workers[worker] = orders;
      }),
    );
  } finally {
    setup.close();
  }
  const orders = workers.reduce((sum, own) => sum + own.length, 0);
  if (orders === 0) throw new Error(`order-service alone (${workload}): no order could be set up`);

  const accepted = emptyAccepted();
  const driver = new OrderDriver(ctx.orderService.url, concurrency, { channel: [], order: [] }, accepted, { merchant: MERCHANT, token: TOKEN }, ALONE_CHANNEL);
  const counter = ctx.pgCounters?.['order-service'] ?? ctx.pgCounters?.services;
  const pgBefore = counter?.snapshot();
  if (ctx.pgStats) await resetStatements(ctx.db);
  measuring();
  const started = now();
  const deadline = started + seconds * 1000;
  try {
    await Promise.all(
      workers.map(async (own) => {
        for (let next = 0; own.length > 0 && now() < deadline; next = (next + 1) % own.length) {
          if (workload === 'changes') await driver.changePayment(own[next]);
          else await driver.readOrder(own[next]);
        }
      }),
    );
  } finally {
    driver.close();
  }
  const elapsed = (now() - started) / 1000;
  const statements = ctx.pgStats ? await topStatements(ctx.db, ctx.databaseName) : undefined;
  let pg: PgRoundTrips | undefined;
  if (counter && pgBefore) {
    const between = countsBetween(pgBefore, counter.snapshot());
    const perRequest = between.roundTrips / Math.max(1, accepted.changes);
    pg = { ...between, perChange: perRequest, perDelivery: NaN };
  }
  return {
    orders,
    concurrency,
    requests: accepted.changes,
    errors: accepted.errors,
    errorSamples: accepted.errorSamples,
    seconds: elapsed,
    perSecond: accepted.changes / Math.max(elapsed, 0.001),
    apiMs: distribution(accepted.calls.map(([, duration]) => duration)),
    pg,
    statements,
  };
}
