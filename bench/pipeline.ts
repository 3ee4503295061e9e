/**
 * The pipeline workloads' measurement: drive the order API, wait until every expected healthy delivery reached
 * the sink and was recorded, then read from the stored timestamps how the stages (outbox published, deliveries
 * ingested, Events recorded) kept up.
 */
import http from 'node:http';
import axios from 'axios';
import { Client } from 'pg';
import { now, sleep } from './clock';
import { Accepted, driveClosedLoop, emptyAccepted, MERCHANT, NOISY_MERCHANT, NOISY_TOKEN, OrderDriver, RegistrationPlan, TOKEN } from './driver';
import { randomOrderIds } from './events-fixture';
import { changePublishTimes } from './kafka-times';
import { countsBetween, PgCounter } from './pg-counter';
import { resetStatements, topStatements } from './pg-stats';
import { distribution, LatencyBreakdown, PgRoundTrips, PipelineResult, QueryResult, Stages } from './report';
import type { ServiceProcess } from './services';
import type { Sink } from './sink';

export interface Context {
  sink: Sink;
  orderService: ServiceProcess;
  notificationService: ServiceProcess;
  /** The bench's own connection to the bench database (not through a counter). */
  db: Client;
  databaseUrl: string;
  driverConcurrency: number;
  drainSeconds: number;
  /** Present on BENCH_PG_TRACE runs: per service, the proxy counting its database round trips. */
  pgCounters: Record<string, PgCounter> | null;
  /** BENCH_PG_STATS runs: the server has pg_stat_statements, read per phase. */
  pgStats: boolean;
  databaseName: string;
  /** Set when the services run on Kafka: the record timestamps split the latency at the publish. */
  kafkaBrokers: string[] | null;
}

/** Registrations of the pipeline workloads; the slow run adds one channel registration on the slow host. */
export function plans(sink: Sink): { healthy: RegistrationPlan; withSlow: RegistrationPlan } {
  const healthy: RegistrationPlan = {
    // Channel configuration: the ERP wants every state change (with its API key), BI wants everything.
    channel: [
      { target: 'hook/erp', url: sink.url('/hook/erp/{order.id}'), watches: ['state'], headers: { 'X-API-Key': 'erp-key-0123456789' } },
      { target: 'hook/bi', url: sink.url('/hook/bi/{channel}/{order_id}'), watches: ['state', 'payment', 'shipping'] },
    ],
    // Registered on each order: the payment/shipping adapter (verifying Standard Webhooks signatures) and an audit log.
    order: [
      { target: 'hook/adapter', url: sink.url('/hook/adapter/{order.id}'), watches: ['payment', 'shipping'], secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      { target: 'hook/audit', url: sink.url('/hook/audit/{merchant}/{order.id}'), watches: ['state', 'payment', 'shipping'] },
    ],
  };
  return {
    healthy,
    withSlow: { ...healthy, channel: [...healthy.channel, { target: 'slow/erp', url: sink.slowUrl('/slow/erp/{order.id}'), watches: ['state'] }] },
  };
}

/**
 * The noisy neighbour: another merchant whose channel sends every change to a slow path on the bench
 * merchant's own host and port. Only the merchant differs, so only per-merchant-endpoint limits,
 * breakers and fair dispatch keep the bench merchant's deliveries from queueing behind it.
 */
export function noisyPlan(sink: Sink): RegistrationPlan {
  return { channel: [{ target: 'slow/noisy', url: sink.url('/slow/noisy/{order.id}'), watches: ['state', 'payment', 'shipping'] }], order: [] };
}

/** Walks `orders` orders of the noisy merchant through their changes; their deliveries are the backlog. Returns how many it should cause. */
export async function driveNoisyBacklog(ctx: Context, orders: number): Promise<number> {
  const accepted = emptyAccepted();
  const driver = new OrderDriver(ctx.orderService.url, ctx.driverConcurrency, noisyPlan(ctx.sink), accepted, { merchant: NOISY_MERCHANT, token: NOISY_TOKEN });
  try {
    await driver.configureChannel();
    await driveClosedLoop(driver, orders, ctx.driverConcurrency);
    return accepted.expected.size;
  } finally {
    driver.close();
  }
}

/** Deliveries of `merchant` not yet sent. */
export async function pendingOf(db: Client, merchant: string): Promise<number> {
  const { rows } = await db.query<{ count: string }>(`SELECT count(*) FROM notifications.events WHERE status = 'pending' AND merchant = $1`, [merchant]);
  return Number(rows[0].count);
}

async function succeededSince(db: Client, since: Date): Promise<number> {
  const { rows } = await db.query<{ count: string }>(
    `SELECT count(*) FROM notifications.events WHERE status = 'succeeded' AND created_at >= $1`,
    [since],
  );
  return Number(rows[0].count);
}

async function pendingCount(db: Client): Promise<number> {
  const { rows } = await db.query<{ count: string }>(`SELECT count(*) FROM notifications.events WHERE status = 'pending'`);
  return Number(rows[0].count);
}

/** Waits until no Event row is pending (earlier phases' retries included), up to `timeoutMs`. */
export async function waitQuiet(db: Client, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let pending = await pendingCount(db);
  while (pending > 0 && Date.now() < deadline) {
    await sleep(250);
    pending = await pendingCount(db);
  }
  return pending;
}

/**
 * Lets the database digest the previous phase before the next one is measured: a phase of
 * thousands of orders leaves dead rows for autovacuum and dirty pages for the next checkpoint,
 * and either landing in the first seconds of the fixed-rate phase showed up as a 600 ms latency
 * spike there. VACUUM the bench tables now and CHECKPOINT (when the role may; it needs superuser
 * or pg_checkpoint) so each phase starts from the same settled state.
 */
export async function settle(db: Client): Promise<void> {
  await db.query('VACUUM (ANALYZE) orders.orders, orders.outbox, notifications.messages, notifications.events, notifications.order_snapshots');
  await db.query('CHECKPOINT').catch(() => undefined);
}

export interface PhaseOutcome {
  result: PipelineResult;
  /** [seconds since phase start, latency ms] per delivery. */
  latencyPoints: Array<[number, number]>;
  /** [second, Events recorded in that second]. */
  ratePoints: Array<[number, number]>;
  accepted: Accepted;
}

/**
 * One pipeline workload: configure the channel, drive the order API, then wait until every expected healthy
 * delivery has reached the sink and its Event is recorded as succeeded (or the drain deadline passes).
 * Nothing polls the database while the workload runs: the stages are reconstructed afterwards from the
 * timestamps the services stored, so the measurement does not load the server it measures.
 */
export async function runPipelinePhase(
  ctx: Context,
  plan: RegistrationPlan,
  drive: (driver: OrderDriver) => Promise<void>,
  orders: number,
): Promise<PhaseOutcome> {
  const accepted = emptyAccepted();
  const driver = new OrderDriver(ctx.orderService.url, ctx.driverConcurrency, plan, accepted);
  try {
    await driver.configureChannel();
    if (ctx.pgStats) await resetStatements(ctx.db);
    const pgBefore = ctx.pgCounters ? Object.fromEntries(Object.entries(ctx.pgCounters).map(([name, counter]) => [name, counter.snapshot()])) : null;

    const started = now();
    await drive(driver);
    const driven = now();
    const allKeys = [...accepted.expected.keys()];
    const healthyKeys = allKeys.filter((key) => key.startsWith('hook/'));
    const deadline = driven + ctx.drainSeconds * 1000;
    let timedOut = false;
    for (let received = 0; received < healthyKeys.length; ) {
      if (now() > deadline) {
        timedOut = true;
        break;
      }
      await sleep(100);
      await ctx.sink.drain();
      received = healthyKeys.filter((key) => ctx.sink.arrivals.has(key)).length;
    }
    // Received is not yet recorded: results are written in batches a few milliseconds later.
    while (!timedOut && (await succeededSince(ctx.db, new Date(started))) < healthyKeys.length) {
      if (now() > deadline) timedOut = true;
      else await sleep(100);
    }
    const sinkCounts = await ctx.sink.drain();

    const latencies: number[] = [];
    const latencyPoints: Array<[number, number]> = [];
    let lastReceived = started;
    let received = 0;
    for (const key of healthyKeys) {
      const arrivedAt = ctx.sink.arrivals.get(key);
      const acceptedAt = accepted.expected.get(key) ?? started;
      if (arrivedAt === undefined) continue;
      received++;
      lastReceived = Math.max(lastReceived, arrivedAt);
      latencies.push(arrivedAt - acceptedAt);
      latencyPoints.push([(acceptedAt - started) / 1000, arrivedAt - acceptedAt]);
    }

    const statements = ctx.pgStats ? await topStatements(ctx.db, ctx.databaseName) : undefined;
    const timeline = await phaseTimeline(ctx, started, accepted, healthyKeys, allKeys.length);

    let pg: Record<string, PgRoundTrips> | undefined;
    if (ctx.pgCounters && pgBefore) {
      pg = {};
      for (const [name, counter] of Object.entries(ctx.pgCounters)) {
        const between = countsBetween(pgBefore[name], counter.snapshot());
        pg[name] = { ...between, perChange: between.roundTrips / Math.max(1, accepted.changes), perDelivery: between.roundTrips / Math.max(1, allKeys.length) };
      }
    }

    const seconds = timeline.stages.recordedSeconds;
    return {
      result: {
        orders,
        changes: accepted.changes,
        apiErrors: accepted.errors,
        apiErrorSamples: accepted.errorSamples,
        expectedDeliveries: healthyKeys.length,
        received,
        recorded: timeline.recorded,
        seconds,
        recordedPerSecond: timeline.recorded / Math.max(seconds, 0.001),
        receivedPerSecond: received / Math.max((lastReceived - started) / 1000, 0.001),
        latencyMs: distribution(latencies),
        apiMs: distribution(accepted.calls.map(([, duration]) => duration)),
        duplicates: sinkCounts.duplicates,
        timedOut,
        breakdown: timeline.breakdown,
        stages: timeline.stages,
        pg,
        statements,
      },
      latencyPoints,
      ratePoints: timeline.ratePoints,
      accepted,
    };
  } finally {
    driver.close();
  }
}

/** Largest number of intervals open at once; an interval without an end stays open. */
function peakOpen(intervals: Array<[number, number | null]>): number {
  const edges: Array<[number, number]> = [];
  for (const [start, end] of intervals) {
    edges.push([start, 1]);
    if (end !== null) edges.push([end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    open += delta;
    peak = Math.max(peak, open);
  }
  return peak;
}

const seconds = (from: number, to: number) => (to - from) / 1000;
/** The last of `times`; NaN while any is still missing (a stage not done). */
const latest = (times: Array<number | null>) => times.reduce<number>((last, time) => (time === null ? NaN : Math.max(last, time)), times.length ? -Infinity : NaN);

/**
 * The phase as the database recorded it: outbox rows (written, published), deliveries (created by ingest) and
 * Events (created, completed) since `started`. Gives the recorded rate per second, when each stage was done,
 * the largest backlogs, and end-to-end latency split at those timestamps.
 */
async function phaseTimeline(ctx: Context, started: number, accepted: Accepted, healthyKeys: string[], expectedMessages: number) {
  const since = new Date(started);
  const outbox = await ctx.db.query<{ created_at: Date; sent_at: Date | null }>(`SELECT created_at, sent_at FROM orders.outbox WHERE created_at >= $1`, [since]);
  const messages = await ctx.db.query<{ order_id: string; scope: string; url: string | null; change_id: string | null; created_at: Date }>(
    `SELECT order_id, scope, url, change_id, created_at FROM notifications.messages WHERE created_at >= $1`,
    [since],
  );
  const published = ctx.kafkaBrokers ? await changePublishTimes(ctx.kafkaBrokers, started - 1000) : new Map<string, number>();
  const events = await ctx.db.query<{ status: string; created_at: Date; completed_at: Date | null }>(
    `SELECT status, created_at, completed_at FROM notifications.events WHERE created_at >= $1`,
    [since],
  );

  const succeeded = events.rows.filter((row) => row.status === 'succeeded').map((row) => (row.completed_at as Date).getTime());
  const recordedAt = succeeded.length ? succeeded.reduce((last, at) => Math.max(last, at)) : now();
  const ratePoints: Array<[number, number]> = [];
  for (let second = 1; second <= Math.ceil(seconds(started, recordedAt)); second++) {
    const from = started + (second - 1) * 1000;
    ratePoints.push([second - 0.5, succeeded.filter((at) => at > from && at <= from + 1000).length]);
  }

  const created = new Map<string, { at: number; changeId: string | null }>();
  for (const row of messages.rows) {
    if (!row.url) continue;
    const [, kind, name] = new URL(row.url).pathname.split('/');
    created.set(`${kind}/${name}|${row.order_id}|${row.scope}`, { at: row.created_at.getTime(), changeId: row.change_id });
  }
  const toIngest: number[] = [];
  const toKafka: number[] = [];
  const kafkaToIngest: number[] = [];
  const toSink: number[] = [];
  for (const key of healthyKeys) {
    const acceptedAt = accepted.expected.get(key);
    const delivery = created.get(key);
    const arrivedAt = ctx.sink.arrivals.get(key);
    if (acceptedAt === undefined || delivery === undefined) continue;
    toIngest.push(delivery.at - acceptedAt);
    const publishedAt = delivery.changeId === null ? undefined : published.get(delivery.changeId);
    if (publishedAt !== undefined) {
      toKafka.push(publishedAt - acceptedAt);
      kafkaToIngest.push(delivery.at - publishedAt);
    }
    if (arrivedAt !== undefined) toSink.push(arrivedAt - delivery.at);
  }

  const lastAccepted = accepted.calls.reduce((last, [at]) => Math.max(last, at), started);
  const stages: Stages = {
    acceptedSeconds: seconds(started, lastAccepted),
    publishedSeconds: seconds(started, latest(outbox.rows.map((row) => row.sent_at?.getTime() ?? null))),
    ingestedSeconds: messages.rows.length >= expectedMessages ? seconds(started, latest(messages.rows.map((row) => row.created_at.getTime()))) : NaN,
    recordedSeconds: seconds(started, recordedAt),
    peakOutboxBacklog: peakOpen(outbox.rows.map((row) => [row.created_at.getTime(), row.sent_at?.getTime() ?? null])),
    peakPendingEvents: peakOpen(events.rows.map((row) => [row.created_at.getTime(), row.completed_at?.getTime() ?? null])),
  };
  const breakdown: LatencyBreakdown = {
    outboxRelayMs: distribution(outbox.rows.filter((row) => row.sent_at).map((row) => (row.sent_at as Date).getTime() - row.created_at.getTime())),
    acceptedToIngestedMs: distribution(toIngest),
    acceptedToPublishedMs: distribution(toKafka),
    publishedToIngestedMs: distribution(kafkaToIngest),
    ingestedToReceivedMs: distribution(toSink),
  };
  return { recorded: succeeded.length, ratePoints, stages, breakdown };
}

/** GET /events?orderId= for random existing orders, one at a time: the query's latency, not the server's queueing. */
export async function measureQueries(ctx: Context, count: number, rows: number, insertSeconds: number): Promise<QueryResult> {
  const ids = await randomOrderIds(ctx.databaseUrl, MERCHANT, count);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const client = axios.create({
    baseURL: `${ctx.notificationService.url}/api/v0/checkout/notifications`,
    httpAgent: agent,
    timeout: 10_000,
    headers: { 'X-Merchant': MERCHANT, Authorization: `Bearer ${TOKEN}` },
  });
  const latencies: number[] = [];
  let errors = 0;
  let totalSize = 0;
  try {
    // Warm the connection and the service's code paths; not measured.
    for (const id of ids.slice(0, 20)) await client.get('/events', { params: { orderId: id } }).catch(() => undefined);
    for (const id of ids) {
      const started = now();
      try {
        const response = await client.get<{ pagination?: { totalSize?: number } }>('/events', { params: { orderId: id } });
        latencies.push(now() - started);
        totalSize += response.data.pagination?.totalSize ?? 0;
      } catch {
        errors++;
      }
    }
  } finally {
    agent.destroy();
  }
  return { rows, insertSeconds, requests: ids.length, latencyMs: distribution(latencies), meanTotalSize: totalSize / Math.max(1, latencies.length), errors };
}
