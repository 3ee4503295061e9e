/**
 * `npm run bench`: starts PostgreSQL (DATABASE_URL or embedded), Kafka (the test harness broker, when Java and
 * Maven are present), the webhook sink and both services as separate processes, then runs the workloads and
 * writes bench/results/latest.json and bench/results/latency.svg.
 *
 * Knobs (environment): BENCH_QUICK=1 (about a minute), BENCH_ORDERS, BENCH_WARMUP_ORDERS, BENCH_CONCURRENCY, BENCH_RATE, BENCH_SECONDS,
 * BENCH_EVENT_ROWS, BENCH_QUERIES, BENCH_CEILING_SECONDS, BENCH_DRAIN_SECONDS, BENCH_SLOW_MS, BENCH_BODY_BYTES,
 * BENCH_BUS=kafka|in-process, BENCH_PROFILE=1 (CPU profiles of both services under bench/results/profiles),
 * BENCH_PG_TRACE=1 (count each service's database round trips through a proxy; slows the pipeline),
 * BENCH_PG_STATS=1 (a private PostgreSQL with pg_stat_statements: server time per statement and phase),
 * BENCH_NODE_FLAGS (more node flags for both services, e.g. --trace-gc),
 * BENCH_NOISY_ORDERS, BENCH_ALONE_SECONDS, BENCH_KEEP_DB=1, BENCH_SKIP=alone,throughput,ordered,latency,slow,noisy,query. Variables the services read (DISPATCH_CONCURRENCY,
 * DATABASE_POOL_SIZE, ...) pass through to them.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { loadConfig, startEmbeddedPostgres } from '@ordercast/platform';
import { NotificationServiceConfig } from '../apps/notification-service/src/config/notification-service.config';
import { KafkaBroker } from '../test/harness/kafka-broker';
import { measureCeiling } from './ceiling';
import { AloneWorkload, measureOrderServiceAlone } from './order-service-alone';
import { CHANGES_PER_ORDER, driveClosedLoop, driveFixedRate, MERCHANT, NOISY_MERCHANT, NOISY_TOKEN, RegistrationPlan, TOKEN } from './driver';
import { insertSyntheticEvents } from './events-fixture';
import { PgCounter } from './pg-counter';
import { enableStatements, startStatsServer } from './pg-stats';
import { Context, driveNoisyBacklog, measureQueries, pendingOf, plans, runPipelinePhase, settle, waitQuiet } from './pipeline';
import { summariseProfiles } from './profile-summary';
import { every2s, pidsMatching, ProcessSampler } from './procstat';
import { BenchResult, evaluateTargets, formatReport, RateResult, SlowTargetResult, writeResults } from './report';
import { ServiceProcess, freePort } from './services';
import { Sink } from './sink';

const ROOT = resolve(__dirname, '..', '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');

function numberEnv(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative number, got "${value}"`);
  return parsed;
}

function readOptions() {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    quick,
    orders: numberEnv('BENCH_ORDERS', quick ? 150 : 1000),
    warmupOrders: numberEnv('BENCH_WARMUP_ORDERS', quick ? 20 : 200),
    concurrency: numberEnv('BENCH_CONCURRENCY', 32),
    rate: numberEnv('BENCH_RATE', 200),
    seconds: numberEnv('BENCH_SECONDS', quick ? 8 : 20),
    eventRows: numberEnv('BENCH_EVENT_ROWS', quick ? 100_000 : 1_000_000),
    queries: numberEnv('BENCH_QUERIES', quick ? 100 : 500),
    ceilingSeconds: numberEnv('BENCH_CEILING_SECONDS', quick ? 2 : 5),
    drainSeconds: numberEnv('BENCH_DRAIN_SECONDS', quick ? 20 : 60),
    slowMs: numberEnv('BENCH_SLOW_MS', 3000),
    noisyOrders: numberEnv('BENCH_NOISY_ORDERS', quick ? 300 : 1000),
    aloneSeconds: numberEnv('BENCH_ALONE_SECONDS', quick ? 4 : 15),
    deliveryTimeoutMs: numberEnv('DELIVERY_TIMEOUT_MS', 2000),
    bodyBytes: numberEnv('BENCH_BODY_BYTES', 600),
    bus: process.env.BENCH_BUS ?? (hasCommand('java') && hasCommand('mvn') ? 'kafka' : 'in-process'),
    profile: process.env.BENCH_PROFILE === '1',
    pgTrace: process.env.BENCH_PG_TRACE === '1',
    pgStats: process.env.BENCH_PG_STATS === '1',
    keepDb: process.env.BENCH_KEEP_DB === '1',
    skip: new Set((process.env.BENCH_SKIP ?? '').split(',').map((s) => s.trim()).filter(Boolean)),
  };
}
type Options = ReturnType<typeof readOptions>;

function hasCommand(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Orders per driver worker in the order-service-alone workloads: enough that one order's row is not the hot spot. */
const ALONE_ORDERS_PER_WORKER = 4;

const log = (message: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** Undo steps, run last-in first-out exactly once, on success, error or signal. */
class Cleanup {
  private readonly steps: Array<{ name: string; run: () => Promise<void> }> = [];
  private running: Promise<void> | null = null;

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (error) {
          process.stderr.write(`cleanup ${step.name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
        }
      }
    })();
    return this.running;
  }
}

async function bench(options: Options, cleanup: Cleanup, result: BenchResult, runId: string, profileDir: string | null): Promise<void> {
  const logDir = join(RESULTS_DIR, 'logs', runId);
  mkdirSync(logDir, { recursive: true });
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  log(`logs in ${logDir}`);

  // PostgreSQL: a fresh database on DATABASE_URL's server, or on an embedded one.
  let serverUrl = process.env.DATABASE_URL;
  if (options.pgStats) {
    log('BENCH_PG_STATS: starting a private PostgreSQL with pg_stat_statements');
    const stats = await startStatsServer(numberEnv('BENCH_PG_PORT', 5439));
    cleanup.add('stats postgres', () => stats.stop());
    serverUrl = stats.url;
  } else if (!serverUrl) {
    log('DATABASE_URL not set: starting embedded PostgreSQL');
    const embedded = await startEmbeddedPostgres(join(ROOT, '.data', 'bench-postgres'), numberEnv('BENCH_PG_PORT', 5439));
    cleanup.add('embedded postgres', () => embedded.stop());
    serverUrl = embedded.url;
  }
  const databaseName = `ordercast_bench_${runId}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  cleanup.add('admin connection', () => admin.end());
  await admin.query(`CREATE DATABASE "${databaseName}"`);
  if (!options.keepDb) cleanup.add('bench database', async () => void (await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`)));
  const databaseUrlObject = new URL(serverUrl);
  databaseUrlObject.pathname = `/${databaseName}`;
  const databaseUrl = databaseUrlObject.toString();
  const server = options.pgStats ? 'private (pg_stat_statements)' : process.env.DATABASE_URL ? 'at DATABASE_URL' : 'embedded';
  result.environment.database = `PostgreSQL ${server}, database ${databaseName}`;

  const [broker, sink] = await Promise.all([
    options.bus === 'kafka'
      ? (async () => {
          log('starting Kafka (test harness broker)');
          const started = await KafkaBroker.start();
          cleanup.add('kafka', () => started.destroy());
          return started;
        })()
      : Promise.resolve(null),
    Sink.start(options.slowMs).then((started) => {
      cleanup.add('sink', () => started.stop());
      return started;
    }),
  ]);
  result.environment.bus = broker ? `Kafka ${broker.brokers.join(',')}` : 'in-process bus (both services in one process)';

  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    API_TOKENS: `${MERCHANT}:${TOKEN},${NOISY_MERCHANT}:${NOISY_TOKEN}`,
    // Any key but the built-in demo one, which only the embedded default (npm start) accepts.
    ENCRYPTION_KEY: process.env.ENCRYPTION_KEY ?? randomBytes(32).toString('base64'),
    ALLOW_PRIVATE_TARGETS: 'true',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    RETRY_SCHEDULE: process.env.RETRY_SCHEDULE ?? '1s,5s',
    DELIVERY_TIMEOUT_MS: String(options.deliveryTimeoutMs),
    // The bench merchant is the whole load of the machine, not one merchant among many: its publish rate is not what is measured.
    MERCHANT_PUBLISH_BYTES_PER_SECOND: process.env.MERCHANT_PUBLISH_BYTES_PER_SECOND ?? '1073741824',
    MERCHANT_PUBLISH_BURST_BYTES: process.env.MERCHANT_PUBLISH_BURST_BYTES ?? '1073741824',
  };
  // Diagnostic runs put a counting proxy between each service and PostgreSQL.
  const pgCounters: Record<string, PgCounter> | null = options.pgTrace ? {} : null;
  const databaseUrlFor = async (service: string): Promise<string> => {
    if (!pgCounters) return databaseUrl;
    const server = new URL(databaseUrl);
    const counter = await PgCounter.start(server.hostname, Number(server.port || 5432));
    cleanup.add(`${service} pg counter`, () => counter.stop());
    pgCounters[service] = counter;
    server.hostname = '127.0.0.1';
    server.port = String(counter.port);
    return server.toString();
  };
  const notificationConfig = loadConfig(NotificationServiceConfig, { ...serviceEnv, PORT: '0' });
  // What reaches the sink at once: the dispatcher's concurrency, capped by its per-endpoint limit (the bench merchant, one origin).
  const dispatchConcurrency = Math.min(notificationConfig.dispatchConcurrency, notificationConfig.perTargetConcurrency);
  result.config.dispatchConcurrency = notificationConfig.dispatchConcurrency;
  result.config.perTargetConcurrency = notificationConfig.perTargetConcurrency;
  result.config.ceilingConcurrency = dispatchConcurrency;

  const [orderPort, notificationPort] = [await freePort(), await freePort()];
  let orderService: ServiceProcess;
  let notificationService: ServiceProcess;
  if (broker) {
    const kafkaEnv = { ...serviceEnv, KAFKA_BROKERS: broker.brokers.join(',') };
    const orderEnv = { ...kafkaEnv, PORT: String(orderPort), DATABASE_URL: await databaseUrlFor('order-service') };
    const notificationEnv = { ...kafkaEnv, PORT: String(notificationPort), DATABASE_URL: await databaseUrlFor('notification-service') };
    orderService = ServiceProcess.start(ROOT, { name: 'order-service', entry: 'dist/apps/order-service/src/main.js', env: orderEnv, port: orderPort }, logDir, profileDir);
    cleanup.add('order-service', () => orderService.stop());
    notificationService = ServiceProcess.start(
      ROOT,
      { name: 'notification-service', entry: 'dist/apps/notification-service/src/main.js', env: notificationEnv, port: notificationPort },
      logDir,
      profileDir,
    );
    cleanup.add('notification-service', () => notificationService.stop());
  } else {
    // The in-process bus only connects services in one process: run the embedded launcher with both.
    const env = {
      ...serviceEnv,
      KAFKA_BROKERS: '',
      ORDER_SERVICE_PORT: String(orderPort),
      NOTIFICATION_SERVICE_PORT: String(notificationPort),
      DATABASE_URL: await databaseUrlFor('services'),
    };
    const both = ServiceProcess.start(ROOT, { name: 'services', entry: 'dist/scripts/start.js', env, port: orderPort }, logDir, profileDir);
    cleanup.add('services', () => both.stop());
    orderService = both;
    notificationService = both.alias('notification-service', notificationPort);
  }
  log(`waiting for ${orderService.url}/health and ${notificationService.url}/health`);
  await Promise.all([orderService.waitHealthy(120_000), notificationService.waitHealthy(120_000)]);

  const sampler = new ProcessSampler();
  const brokerDir = broker?.dir;
  if (broker) {
    sampler.add('order-service', () => [orderService.pid]);
    sampler.add('notification-service', () => [notificationService.pid]);
  } else {
    sampler.add('services', () => [orderService.pid]);
  }
  sampler.add('sink', () => [sink.pid]);
  // Backends serving the bench database (PostgreSQL puts the database name in each backend's title); the
  // server's other processes are shared with whatever else uses it.
  sampler.add('postgres', every2s(() => pidsMatching((comm, cmdline) => comm === 'postgres' && cmdline.includes(databaseName))));
  // The server's own processes (WAL writer, checkpointer, autovacuum): shared, but mostly busy with the bench's writes.
  sampler.add('pg-server', every2s(() => pidsMatching((comm, cmdline) => comm === 'postgres' && !/\(\d+\)|\[local\]/.test(cmdline))));
  if (brokerDir) sampler.add('kafka', every2s(() => pidsMatching((comm, cmdline) => comm === 'java' && cmdline.includes(brokerDir))));
  sampler.add('bench', () => [process.pid]);
  sampler.start();
  cleanup.add('sampler', async () => sampler.stop());

  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  cleanup.add('bench connection', () => db.end());
  if (options.pgStats) await enableStatements(db);
  const ctx: Context = { sink, orderService, notificationService, db, databaseUrl, driverConcurrency: options.concurrency, drainSeconds: options.drainSeconds, pgCounters, pgStats: options.pgStats, databaseName, kafkaBrokers: broker?.brokers ?? null };
  const { healthy, withSlow, ordered } = plans(sink);
  const serviceNames = broker ? ['order-service', 'notification-service'] : ['services'];
  const finish = () => {
    sampler.mark('end');
    result.usage = sampler.phases.filter((phase) => phase.phase !== 'start');
    result.peakRssMb = Object.fromEntries(serviceNames.map((name) => [name, sampler.peakHwmMb[name] ?? NaN]));
    result.targets = evaluateTargets(result, serviceNames);
  };
  cleanup.add('usage', async () => {
    if (result.usage.length === 0) finish();
  });

  // Warm-up: proves the pipeline delivers at all (Kafka group join), gives the ceiling a real body, and runs
  // long enough for the JIT compilers of every process to settle, so the first measured phase is not the cold one.
  sampler.mark('warm-up');
  log(`warm-up: ${options.warmupOrders} orders`);
  const warm = await runPipelinePhase(ctx, healthy, (driver) => driveClosedLoop(driver, options.warmupOrders, options.concurrency), options.warmupOrders);
  if (warm.result.received === 0) {
    throw new Error(
      `warm-up: no webhook reached the sink (${warm.result.changes} changes accepted, ${warm.result.apiErrors} API errors ${warm.result.apiErrorSamples.join(' | ')})\n` +
        `order-service log:\n${orderService.logTail()}\nnotification-service log:\n${notificationService.logTail()}`,
    );
  }
  log(`warm-up: ${warm.result.received}/${warm.result.expectedDeliveries} delivered, p50 ${warm.result.latencyMs.p50.toFixed(1)} ms`);
  await waitQuiet(db, 10_000);
  await settle(db);

  sampler.mark('ceiling');
  const sample = await sink.sample();
  const body = sample?.body ?? JSON.stringify({ padding: 'x'.repeat(2000) });
  const headers = Object.fromEntries(
    Object.entries(sample?.headers ?? {}).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && !['host', 'content-length', 'connection', 'accept', 'accept-encoding'].includes(entry[0]),
    ),
  );
  log(`raw ceiling: ${dispatchConcurrency} concurrent, ${options.ceilingSeconds} s`);
  result.ceiling = await measureCeiling(sink.url('/ceiling/raw'), body, headers, dispatchConcurrency, options.ceilingSeconds);
  log(`raw ceiling: ${result.ceiling.perSecond.toFixed(0)}/s`);

  if (!options.skip.has('alone')) {
    const workloads: Array<[AloneWorkload, string, 'aloneChanges' | 'aloneReads']> = [
      ['changes', 'payment changes on orders with no registrations', 'aloneChanges'],
      ['reads', 'GET /orders/{id}', 'aloneReads'],
    ];
    for (const [workload, what, key] of workloads) {
      log(`order-service alone: ${what}, ${options.concurrency} in flight, ${options.aloneSeconds} s`);
      const alone = await measureOrderServiceAlone(ctx, workload, options.aloneSeconds, ALONE_ORDERS_PER_WORKER, () => sampler.mark(`alone-${workload}`));
      // The drain and VACUUM after it are not the workload's CPU.
      sampler.mark(`alone-${workload}-settle`);
      result[key] = alone;
      log(`order-service alone: ${alone.perSecond.toFixed(0)} ${workload}/s, p99 ${alone.apiMs.p99.toFixed(1)} ms, ${alone.errors} errors`);
      await waitQuiet(db, 30_000);
      await settle(db);
    }
  }

  const timelines = { latency: [] as Array<[number, number]>, throughputRate: [] as Array<[number, number]>, orderedRate: [] as Array<[number, number]>, slowRate: [] as Array<[number, number]> };
  result.timelines = timelines;

  if (!options.skip.has('throughput')) {
    sampler.mark('throughput');
    log(`throughput: ${options.orders} orders x ${CHANGES_PER_ORDER} changes, ${options.concurrency} in flight`);
    const outcome = await runPipelinePhase(ctx, healthy, (driver) => driveClosedLoop(driver, options.orders, options.concurrency), options.orders);
    result.throughput = outcome.result;
    timelines.throughputRate = outcome.ratePoints;
    log(`throughput: ${outcome.result.recordedPerSecond.toFixed(0)} recorded/s, p99 ${outcome.result.latencyMs.p99.toFixed(1)} ms${outcome.result.timedOut ? ' (timed out)' : ''}`);
    await waitQuiet(db, 30_000);
    await settle(db);
  }

  if (!options.skip.has('ordered')) {
    sampler.mark('ordered');
    log(`ordered: ${options.orders} orders x ${CHANGES_PER_ORDER} changes, every registration ordered, ${options.concurrency} in flight`);
    const outcome = await runPipelinePhase(ctx, ordered, (driver) => driveClosedLoop(driver, options.orders, options.concurrency), options.orders);
    result.ordered = outcome.result;
    timelines.orderedRate = outcome.ratePoints;
    log(`ordered: ${outcome.result.recordedPerSecond.toFixed(0)} recorded/s (unordered ${result.throughput?.recordedPerSecond.toFixed(0) ?? 'not run'}), p99 ${outcome.result.latencyMs.p99.toFixed(1)} ms${outcome.result.timedOut ? ' (timed out)' : ''}`);
    await waitQuiet(db, 30_000);
    await settle(db);
  }

  if (!options.skip.has('latency')) {
    sampler.mark('fixed-rate');
    log(`fixed rate: ${options.rate} changes/s for ${options.seconds} s`);
    const outcome = await fixedRateRun(ctx, healthy, options.rate, options.seconds, 1_000_000);
    result.latency = outcome.result;
    timelines.latency = outcome.latencyPoints;
    log(`fixed rate: p50 ${outcome.result.latencyMs.p50.toFixed(1)} p95 ${outcome.result.latencyMs.p95.toFixed(1)} p99 ${outcome.result.latencyMs.p99.toFixed(1)} ms`);
    await waitQuiet(db, 30_000);
    await settle(db);
  }

  if (!options.skip.has('slow')) {
    sampler.mark('slow-target');
    log(`slow target: ${options.orders} orders, one channel target answering after ${options.slowMs} ms (timeout ${options.deliveryTimeoutMs} ms)`);
    const before = await sink.counts();
    const outcome = await runPipelinePhase(ctx, withSlow, (driver) => driveClosedLoop(driver, options.orders, options.concurrency), options.orders);
    const after = await sink.counts();
    const baseline = result.throughput?.recordedPerSecond ?? NaN;
    const slow: SlowTargetResult = {
      healthy: outcome.result,
      slowDelay: options.slowMs,
      deliveryTimeoutMs: options.deliveryTimeoutMs,
      slowRequests: (after.byTarget['slow/erp'] ?? 0) - (before.byTarget['slow/erp'] ?? 0),
      slowAbandoned: after.abandoned - before.abandoned,
      baselinePerSecond: baseline,
      cost: 1 - outcome.result.recordedPerSecond / baseline,
    };
    result.slowTarget = slow;
    timelines.slowRate = outcome.ratePoints;
    log(`slow target: healthy ${outcome.result.recordedPerSecond.toFixed(0)}/s vs ${baseline.toFixed(0)}/s without (cost ${(slow.cost * 100).toFixed(1)}%)`);
    // Let the slow target recover; its held-back rows wait out the circuit's cooldown, a small load, so no long wait.
    await sink.setSlowMs(0);
    await waitQuiet(db, 5_000);
  }

  if (!options.skip.has('noisy')) {
    // Slow but answering (half the timeout), so the noisy endpoint's circuit stays closed and its backlog stays a backlog.
    const noisyDelayMs = Math.floor(options.deliveryTimeoutMs / 2);
    sampler.mark('noisy-alone');
    log(`noisy neighbour: the bench merchant alone at ${options.rate} changes/s for ${options.seconds} s`);
    const alone = await fixedRateRun(ctx, healthy, options.rate, options.seconds, 2_000_000);
    await waitQuiet(db, 30_000);
    await settle(db);
    sampler.mark('noisy-backlog');
    await sink.setSlowMs(noisyDelayMs);
    log(`noisy neighbour: ${options.noisyOrders} orders of merchant ${NOISY_MERCHANT} to an endpoint answering after ${noisyDelayMs} ms on the same host`);
    const noisyDeliveries = await driveNoisyBacklog(ctx, options.noisyOrders);
    const backlogAtStart = await pendingOf(db, NOISY_MERCHANT);
    sampler.mark('noisy-with-backlog');
    log(`noisy neighbour: the bench merchant again, next to ${backlogAtStart} pending deliveries of ${NOISY_MERCHANT}`);
    const withBacklog = await fixedRateRun(ctx, healthy, options.rate, options.seconds, 3_000_000);
    const backlogAtEnd = await pendingOf(db, NOISY_MERCHANT);
    result.noisyNeighbour = { noisyOrders: options.noisyOrders, noisyDeliveries, noisyDelayMs, backlogAtStart, backlogAtEnd, alone: alone.result, withBacklog: withBacklog.result };
    log(`noisy neighbour: quiet p99 ${withBacklog.result.latencyMs.p99.toFixed(1)} ms with the backlog (${backlogAtEnd} still pending at the end) vs ${alone.result.latencyMs.p99.toFixed(1)} ms alone`);
    await sink.setSlowMs(0);
    await waitQuiet(db, 120_000);
    await settle(db);
  }

  if (!options.skip.has('query')) {
    sampler.mark('query-insert');
    log(`events query: inserting ${options.eventRows} synthetic Event rows`);
    const fixture = await insertSyntheticEvents(databaseUrl, MERCHANT, options.eventRows, options.bodyBytes, (done, total) => {
      if (done === total || done % 300_000 < 100_000) log(`  ${done}/${total} messages`);
    });
    sampler.mark('query');
    log(`events query: ${fixture.events} rows (inserted in ${fixture.seconds.toFixed(1)} s), ${options.queries} requests`);
    result.query = await measureQueries(ctx, options.queries, fixture.events, fixture.seconds);
    log(`events query: p50 ${result.query.latencyMs.p50.toFixed(1)} p99 ${result.query.latencyMs.p99.toFixed(1)} ms`);
  }

  finish();
}

/** The bench merchant's changes at a fixed rate through `plan`, measured until every healthy delivery is recorded. */
async function fixedRateRun(ctx: Context, plan: RegistrationPlan, rate: number, seconds: number, firstIndex: number): Promise<{ result: RateResult; latencyPoints: Array<[number, number]> }> {
  let issued = { issued: 0, maxInFlight: 0 };
  const outcome = await runPipelinePhase(
    ctx,
    plan,
    async (driver) => {
      issued = await driveFixedRate(driver, rate, seconds, firstIndex);
    },
    0,
  );
  return {
    result: {
      ...outcome.result,
      orders: outcome.accepted.calls.length ? Math.round(outcome.result.changes / CHANGES_PER_ORDER) : 0,
      targetRate: rate,
      achievedRate: issued.issued / seconds,
      maxInFlight: issued.maxInFlight,
    },
    latencyPoints: outcome.latencyPoints,
  };
}

async function main(): Promise<void> {
  const options = readOptions();
  const started = Date.now();
  const runId = new Date(started).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const profileDir = options.profile ? join(RESULTS_DIR, 'profiles', runId) : null;
  const result: BenchResult = {
    startedAt: new Date(started).toISOString(),
    seconds: 0,
    quick: options.quick,
    environment: { node: process.version, cpus: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), bus: options.bus, database: '', loadAverageAtStart: loadavg() },
    config: {
      orders: options.orders,
      warmupOrders: options.warmupOrders,
      changesPerOrder: CHANGES_PER_ORDER,
      concurrency: options.concurrency,
      rate: options.rate,
      seconds: options.seconds,
      eventRows: options.eventRows,
      queries: options.queries,
      slowMs: options.slowMs,
      noisyOrders: options.noisyOrders,
      aloneSeconds: options.aloneSeconds,
      deliveryTimeoutMs: options.deliveryTimeoutMs,
      bodyBytes: options.bodyBytes,
      profile: options.profile,
      pgTrace: options.pgTrace,
      pgStats: options.pgStats,
    },
    ceiling: null,
    aloneChanges: null,
    aloneReads: null,
    throughput: null,
    ordered: null,
    latency: null,
    slowTarget: null,
    noisyNeighbour: null,
    query: null,
    peakRssMb: {},
    usage: [],
    targets: [],
    errors: [],
  };
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${signal}: stopping the bench and everything it started ...\n`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let failed = false;
  try {
    await bench(options, cleanup, result, runId, profileDir);
  } catch (error) {
    failed = true;
    result.errors.push(error instanceof Error ? error.stack ?? error.message : String(error));
  } finally {
    if (!interrupted) await cleanup.run();
  }
  if (interrupted) return;
  result.seconds = (Date.now() - started) / 1000;
  const written = writeResults(RESULTS_DIR, result);
  process.stdout.write(`\n${formatReport(result)}\n`);
  process.stdout.write(`wrote ${written.json}${written.chart ? ` and ${written.chart}` : ''} (${result.seconds.toFixed(0)} s)\n`);
  // The services write their profiles when they exit, so this comes after the cleanup stopped them.
  if (profileDir) process.stdout.write(`\nCPU profiles (${profileDir}):\n${summariseProfiles(profileDir)}\n`);
  process.exitCode = failed ? 1 : 0;
}

void main();
