/**
 * Turns raw measurements into the bench result: percentiles, the targets and whether they were met,
 * a text table for the terminal, bench/results/latest.json and the latency chart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CeilingResult } from './ceiling';
import { Panel, renderChart, Series } from './svg-chart';
import type { StatementCost } from './pg-stats';
import type { PhaseUsage } from './procstat';

export interface Distribution {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, in the unit of the samples. */
export function distribution(samples: number[]): Distribution {
  if (samples.length === 0) return { count: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const sum = sorted.reduce((total, value) => total + value, 0);
  return { count: sorted.length, p50: rank(50), p95: rank(95), p99: rank(99), max: sorted[sorted.length - 1], mean: sum / sorted.length };
}

/** Where a phase's work was, in seconds from its start: when each stage had handled everything. */
export interface Stages {
  /** Last change accepted by the order API. */
  acceptedSeconds: number;
  /** Every accepted change published from the outbox to the bus. */
  publishedSeconds: number;
  /** Every expected delivery created by notification-service's ingest. */
  ingestedSeconds: number;
  /** Every expected delivery recorded as succeeded. */
  recordedSeconds: number;
  /** Largest number of accepted changes not yet published. */
  peakOutboxBacklog: number;
  /** Largest number of Event rows pending (ingested, not yet attempted). */
  peakPendingEvents: number;
}

/** End-to-end latency cut at the timestamps the services store (ms; same machine, same clock). */
export interface LatencyBreakdown {
  /** orders.outbox created_at (the change's transaction) to sent_at (published to the bus). */
  outboxRelayMs: Distribution;
  /** Change accepted by the API to its delivery created by ingest (messages.created_at): relay, bus, ingest. */
  acceptedToIngestedMs: Distribution;
  /** The first part of that: change accepted to its Kafka record's timestamp (relay picked it up and sent it). */
  acceptedToPublishedMs: Distribution;
  /** The second part: Kafka record timestamp to delivery created (broker, fetch, ingest transaction). */
  publishedToIngestedMs: Distribution;
  /** Delivery created to request received at the sink: claim, sign, HTTP. */
  ingestedToReceivedMs: Distribution;
}

/** Database traffic of one service in a phase (BENCH_PG_TRACE runs). */
export interface PgRoundTrips {
  roundTrips: number;
  statements: number;
  transactions: number;
  perChange: number;
  perDelivery: number;
  topStatements: Array<{ sql: string; count: number }>;
}

export interface PipelineResult {
  orders: number;
  /** Changes the order API accepted (order.created included). */
  changes: number;
  apiErrors: number;
  apiErrorSamples: string[];
  /** Deliveries the accepted changes should cause (one per matching registration). */
  expectedDeliveries: number;
  /** Of those, received by the sink before the drain deadline. */
  received: number;
  /** Event rows that reached `succeeded` in the phase (from the database). */
  recorded: number;
  /** From the first request of the phase to the last Event recorded (or the deadline). */
  seconds: number;
  /** Event rows recorded per second over `seconds`: the end-to-end delivery rate. */
  recordedPerSecond: number;
  /** Expected deliveries received by the sink per second, first request to last receipt. */
  receivedPerSecond: number;
  /** Change accepted (API call returned) to request received at the sink, ms. */
  latencyMs: Distribution;
  /** Duration of the order API calls themselves, ms. */
  apiMs: Distribution;
  /** Requests the sink saw more than once (same target, order and scope). */
  duplicates: number;
  /** The phase gave up waiting for deliveries. */
  timedOut: boolean;
  stages: Stages;
  breakdown: LatencyBreakdown;
  pg?: Record<string, PgRoundTrips>;
  /** BENCH_PG_STATS runs: the statements that took the server's time in the phase. */
  statements?: StatementCost[];
}

export interface RateResult extends PipelineResult {
  targetRate: number;
  achievedRate: number;
  maxInFlight: number;
}

export interface SlowTargetResult {
  healthy: PipelineResult;
  slowDelay: number;
  deliveryTimeoutMs: number;
  slowRequests: number;
  slowAbandoned: number;
  baselinePerSecond: number;
  /** 1 - healthy rate with the slow target / rate without it. */
  cost: number;
}

/** The bench merchant at a fixed rate, alone and next to another merchant's backlog to a slow endpoint on the same host. */
export interface NoisyNeighbourResult {
  noisyOrders: number;
  noisyDeliveries: number;
  /** How long the noisy endpoint takes to answer (below the delivery timeout: slow, not failing). */
  noisyDelayMs: number;
  /** The noisy merchant's pending deliveries when the measured run started and when it ended. */
  backlogAtStart: number;
  backlogAtEnd: number;
  alone: RateResult;
  withBacklog: RateResult;
}

export interface QueryResult {
  rows: number;
  insertSeconds: number;
  requests: number;
  latencyMs: Distribution;
  meanTotalSize: number;
  errors: number;
}

/** One order-service-alone workload (bench/order-service-alone.ts): requests per second with nothing downstream to do. */
export interface AloneResult {
  /** Orders the workload spreads its requests over (each worker has its own, so no two requests race on one order). */
  orders: number;
  concurrency: number;
  /** Requests answered with 2xx in the measured window. */
  requests: number;
  errors: number;
  errorSamples: string[];
  seconds: number;
  perSecond: number;
  /** Duration of each request as the driver saw it, ms. */
  apiMs: Distribution;
  /** BENCH_PG_TRACE runs: order-service's database round trips in the window (`perChange`: per request). */
  pg?: PgRoundTrips;
  /** BENCH_PG_STATS runs: the statements that took the server's time in the window (settling included). */
  statements?: StatementCost[];
}

export interface Target {
  name: string;
  goal: string;
  actual: string;
  met: boolean;
}

export interface BenchResult {
  startedAt: string;
  seconds: number;
  quick: boolean;
  environment: { node: string; cpus: number; memoryGb: number; bus: string; database: string; loadAverageAtStart: number[] };
  config: Record<string, number | string | boolean>;
  ceiling: CeilingResult | null;
  /** order-service alone: payment changes on orders with no registrations, and `GET /orders/{id}`. */
  aloneChanges: AloneResult | null;
  aloneReads: AloneResult | null;
  throughput: PipelineResult | null;
  /** The throughput workload with every registration `ordered: true`. */
  ordered: PipelineResult | null;
  latency: RateResult | null;
  slowTarget: SlowTargetResult | null;
  noisyNeighbour: NoisyNeighbourResult | null;
  query: QueryResult | null;
  peakRssMb: Record<string, number>;
  usage: PhaseUsage[];
  targets: Target[];
  errors: string[];
  /** For the chart: [seconds since phase start, latency ms] per delivery of the fixed-rate phase; not in the JSON. */
  timelines?: Timelines;
}

export interface Timelines {
  latency: Array<[number, number]>;
  throughputRate: Array<[number, number]>;
  orderedRate: Array<[number, number]>;
  slowRate: Array<[number, number]>;
}

const fmt = (value: number | undefined, digits = 0) => (value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits));

/** CPU milliseconds per recorded delivery in `phase`, every process group but the bench's own driver. */
function cpuMsPerDelivery(result: BenchResult, phase: string, recorded: number): number {
  const usage = result.usage.find((u) => u.phase === phase);
  if (!usage || recorded === 0) return NaN;
  const cpuSeconds = Object.entries(usage.groups).filter(([name]) => name !== 'bench').reduce((sum, [, g]) => sum + g.cpuSeconds, 0);
  return (cpuSeconds * 1000) / recorded;
}

/**
 * The targets, issue 13's first (throughput, CPU, order-service alone, p99 at 200 changes/s, ratio to the raw
 * ceiling), then the standing ones. A phase that was skipped reports its targets as not measured, not met.
 */
export function evaluateTargets(result: BenchResult, serviceNames: string[]): Target[] {
  const targets: Target[] = [];
  const notMeasured = (name: string, goal: string) => targets.push({ name, goal, actual: 'not measured', met: false });
  const t = result.throughput;
  const c = result.ceiling;
  if (t) {
    targets.push({ name: 'delivered webhooks/s (3 per change)', goal: '>= 2000', actual: fmt(t.recordedPerSecond), met: t.recordedPerSecond >= 2000 && !t.timedOut });
    const cpu = cpuMsPerDelivery(result, 'throughput', t.recorded);
    targets.push({ name: 'CPU per delivery, all processes', goal: '<= 1.0 ms', actual: `${fmt(cpu, 2)} ms`, met: cpu <= 1.0 && !t.timedOut });
  } else {
    notMeasured('delivered webhooks/s (3 per change)', '>= 2000');
    notMeasured('CPU per delivery, all processes', '<= 1.0 ms');
  }
  const a = result.aloneChanges;
  if (a) targets.push({ name: 'order-service alone: changes/s', goal: '>= 1500', actual: fmt(a.perSecond), met: a.perSecond >= 1500 && a.errors === 0 });
  else notMeasured('order-service alone: changes/s', '>= 1500');
  const r = result.aloneReads;
  if (r) targets.push({ name: 'order-service alone: GET /orders/{id}/s', goal: '>= 3000', actual: fmt(r.perSecond), met: r.perSecond >= 3000 && r.errors === 0 });
  else notMeasured('order-service alone: GET /orders/{id}/s', '>= 3000');
  const l = result.latency;
  if (l) {
    targets.push({ name: `p99 end-to-end at ${l.targetRate} changes/s`, goal: '< 50 ms', actual: `${fmt(l.latencyMs.p99, 1)} ms`, met: l.latencyMs.p99 < 50 && !l.timedOut && l.received === l.expectedDeliveries });
  } else notMeasured('p99 end-to-end at 200 changes/s', '< 50 ms');
  if (t && c) {
    const ratio = t.recordedPerSecond / c.perSecond;
    targets.push({ name: 'throughput / raw ceiling (same run)', goal: '>= 0.25', actual: `${fmt(ratio, 2)} (${fmt(t.recordedPerSecond)} / ${fmt(c.perSecond)})`, met: ratio >= 0.25 && !t.timedOut });
  } else notMeasured('throughput / raw ceiling (same run)', '>= 0.25');
  const s = result.slowTarget;
  if (s) {
    targets.push({ name: 'slow target cost to healthy', goal: '< 10%', actual: `${fmt(s.cost * 100, 1)}%`, met: s.cost < 0.1 && !s.healthy.timedOut });
  }
  const n = result.noisyNeighbour;
  if (n) {
    const ratio = n.withBacklog.latencyMs.p99 / n.alone.latencyMs.p99;
    targets.push({
      name: 'quiet p99 next to a noisy backlog / alone',
      goal: '< 2',
      actual: `${fmt(ratio, 2)} (${fmt(n.withBacklog.latencyMs.p99, 1)} vs ${fmt(n.alone.latencyMs.p99, 1)} ms)`,
      met: ratio < 2 && n.backlogAtEnd > 0 && !n.withBacklog.timedOut && n.withBacklog.received === n.withBacklog.expectedDeliveries,
    });
  }
  const q = result.query;
  if (q) {
    targets.push({ name: `events query p99 (${(q.rows / 1e6).toFixed(2)}M rows)`, goal: '< 20 ms', actual: `${fmt(q.latencyMs.p99, 1)} ms`, met: q.latencyMs.p99 < 20 && q.errors === 0 && q.rows >= 1_000_000 });
  }
  for (const name of serviceNames) {
    const peak = result.peakRssMb[name];
    if (peak !== undefined) targets.push({ name: `${name} peak RSS`, goal: '< 300 MB', actual: `${fmt(peak)} MB`, met: peak < 300 });
  }
  return targets;
}

/** Columns padded to their widest cell; `leftColumns` are left-aligned, the others (numbers) right-aligned. */
function table(rows: string[][], leftColumns = 1): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => row.map((cell, column) => (column < leftColumns ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd();
  return [line(rows[0]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function pipelineRows(label: string, p: PipelineResult, usage: PhaseUsage | undefined): string[][] {
  const st = p.stages;
  const rows = [
    [`${label}: changes accepted / API errors`, `${p.changes} / ${p.apiErrors}`],
    [`${label}: deliveries expected / received / recorded`, `${p.expectedDeliveries} / ${p.received} / ${p.recorded}${p.timedOut ? ' (timed out)' : ''}`],
    [`${label}: recorded/s (received/s)`, `${fmt(p.recordedPerSecond)} (${fmt(p.receivedPerSecond)}) over ${fmt(p.seconds, 1)} s`],
    [`${label}: latency p50 / p95 / p99 / max`, `${fmt(p.latencyMs.p50, 1)} / ${fmt(p.latencyMs.p95, 1)} / ${fmt(p.latencyMs.p99, 1)} / ${fmt(p.latencyMs.max, 1)} ms`],
    [`${label}: order API p50 / p99`, `${fmt(p.apiMs.p50, 1)} / ${fmt(p.apiMs.p99, 1)} ms`],
    [
      `${label}: latency split p50 / p99`,
      `outbox relay ${fmt(p.breakdown.outboxRelayMs.p50, 1)} / ${fmt(p.breakdown.outboxRelayMs.p99, 1)}, ` +
        `accepted->ingested ${fmt(p.breakdown.acceptedToIngestedMs.p50, 1)} / ${fmt(p.breakdown.acceptedToIngestedMs.p99, 1)} ` +
        `(accepted->in Kafka ${fmt(p.breakdown.acceptedToPublishedMs.p50, 1)} / ${fmt(p.breakdown.acceptedToPublishedMs.p99, 1)}, ` +
        `Kafka->ingested ${fmt(p.breakdown.publishedToIngestedMs.p50, 1)} / ${fmt(p.breakdown.publishedToIngestedMs.p99, 1)}), ` +
        `ingested->received ${fmt(p.breakdown.ingestedToReceivedMs.p50, 1)} / ${fmt(p.breakdown.ingestedToReceivedMs.p99, 1)} ms`,
    ],
    [
      `${label}: all accepted / published / ingested / recorded at`,
      `${fmt(st.acceptedSeconds, 1)} / ${fmt(st.publishedSeconds, 1)} / ${fmt(st.ingestedSeconds, 1)} / ${fmt(st.recordedSeconds, 1)} s (peak outbox backlog ${st.peakOutboxBacklog}, peak pending Events ${st.peakPendingEvents})`,
    ],
  ];
  if (usage && p.recorded > 0) {
    const perDelivery = Object.entries(usage.groups)
      .filter(([name]) => name !== 'bench')
      .map(([name, g]) => `${name} ${fmt((g.cpuSeconds * 1000) / p.recorded, 2)}`);
    rows.push([`${label}: CPU ms per delivery`, perDelivery.join(', ')]);
    rows.push([`${label}: read / write system calls`, systemCalls(usage, [['per change', p.changes], ['per delivery', p.recorded]])]);
  }
  for (const [service, pg] of Object.entries(p.pg ?? {})) {
    rows.push([
      `${label}: ${service} database round trips`,
      `${pg.roundTrips} (${fmt(pg.perChange, 2)} per change, ${fmt(pg.perDelivery, 2)} per delivery), ${pg.statements} statements, ${pg.transactions} commits`,
    ]);
    for (const statement of pg.topStatements.slice(0, 6)) rows.push(['', `${String(statement.count).padStart(7)}  ${statement.sql.slice(0, 110)}`]);
  }
  if (p.statements?.length) rows.push(...statementRows(label, p.statements, 'delivery', p.recorded));
  return rows;
}

/**
 * Socket reads and writes of the Node processes (order-service, notification-service, the sink) per unit of
 * work: on this kind of machine each one costs more than most JavaScript, so they are the count to drive down.
 * PostgreSQL and Kafka are left out: they talk to clients with send/recv, which /proc/<pid>/io does not count.
 */
function systemCalls(usage: PhaseUsage, units: Array<[string, number]>): string {
  return Object.entries(usage.groups)
    .filter(([name]) => NODE_GROUPS.has(name))
    .map(([name, g]) => {
      const counts = units.map(([unit, count]) => `${fmt(g.readCalls / Math.max(1, count), 2)} / ${fmt(g.writeCalls / Math.max(1, count), 2)} ${unit}`);
      return `${name} ${counts.join(', ')}`;
    })
    .join('; ');
}

const NODE_GROUPS = new Set(['order-service', 'notification-service', 'services', 'sink']);

/** pg_stat_statements of a phase: calls, time and WAL of its top statements, time per unit of work. */
function statementRows(label: string, statements: StatementCost[], unit: string, units: number): string[][] {
  const total = statements.reduce((sum, statement) => sum + statement.totalMs, 0);
  const rows = [[`${label}: server time by statement`, `calls, plans, ms total, of which planning, ms per ${unit}, WAL kB per call (top statements: ${fmt(total)} ms)`]];
  for (const statement of statements.slice(0, 8)) {
    rows.push([
      '',
      `${String(statement.calls).padStart(6)} ${String(statement.plans).padStart(6)} ${fmt(statement.totalMs).padStart(6)} ${fmt(statement.planMs).padStart(6)} ${fmt(statement.totalMs / Math.max(1, units), 3).padStart(6)} ${fmt(statement.walBytes / 1024 / Math.max(1, statement.calls), 1).padStart(6)}  ${statement.sql.slice(0, 100)}`,
    ]);
  }
  return rows;
}

function aloneRows(label: string, a: AloneResult, usage: PhaseUsage | undefined, ceiling: CeilingResult | null): string[][] {
  const ratio = ceiling ? ` (${fmt(a.perSecond / ceiling.perSecond, 2)} of the raw ceiling)` : '';
  const rows = [
    [`${label}: requests/s`, `${fmt(a.perSecond)}/s${ratio}, ${a.requests} in ${fmt(a.seconds, 1)} s, ${a.concurrency} in flight over ${a.orders} orders, ${a.errors} errors${a.errorSamples.length ? ` (${a.errorSamples[0]})` : ''}`],
    [`${label}: p50 / p99`, `${fmt(a.apiMs.p50, 1)} / ${fmt(a.apiMs.p99, 1)} ms`],
  ];
  if (usage && a.requests > 0) {
    const perRequest = Object.entries(usage.groups)
      .filter(([name]) => name !== 'bench')
      .map(([name, g]) => `${name} ${fmt((g.cpuSeconds * 1000) / a.requests, 2)}`);
    rows.push([`${label}: CPU ms per request`, perRequest.join(', ')]);
    rows.push([`${label}: read / write system calls`, systemCalls(usage, [['per request', a.requests]])]);
  }
  if (a.pg) {
    rows.push([`${label}: order-service database round trips`, `${a.pg.roundTrips} (${fmt(a.pg.perChange, 2)} per request), ${a.pg.statements} statements, ${a.pg.transactions} commits`]);
    for (const statement of a.pg.topStatements.slice(0, 8)) rows.push(['', `${String(statement.count).padStart(7)}  ${statement.sql.slice(0, 110)}`]);
  }
  if (a.statements?.length) rows.push(...statementRows(label, a.statements, 'request', a.requests));
  return rows;
}

export function formatReport(result: BenchResult): string {
  const rows: string[][] = [['measurement', 'value']];
  const e = result.environment;
  rows.push(['environment', `node ${e.node}, ${e.cpus} cpus, ${e.bus}, ${e.database}, load ${e.loadAverageAtStart.map((v) => v.toFixed(2)).join(' ')}`]);
  if (result.ceiling) rows.push(['raw ceiling (invoker -> sink)', `${fmt(result.ceiling.perSecond)}/s at concurrency ${result.ceiling.concurrency}, ${result.ceiling.bodyBytes} B bodies`]);
  const usage = (phase: string) => result.usage.find((u) => u.phase === phase);
  for (const [label, alone, phase] of [
    ['order-service alone: payment changes', result.aloneChanges, 'alone-changes'],
    ['order-service alone: GET /orders/{id}', result.aloneReads, 'alone-reads'],
  ] as const) {
    if (alone) rows.push(...aloneRows(label, alone, usage(phase), result.ceiling));
  }
  if (result.throughput) rows.push(...pipelineRows('throughput', result.throughput, usage('throughput')));
  if (result.ordered) {
    rows.push(...pipelineRows('ordered', result.ordered, usage('ordered')));
    if (result.throughput) rows.push(['ordered vs unordered recorded/s', `${fmt(result.ordered.recordedPerSecond)} vs ${fmt(result.throughput.recordedPerSecond)}/s (${fmt((result.ordered.recordedPerSecond / result.throughput.recordedPerSecond) * 100, 1)}%)`]);
  }
  if (result.latency) {
    const l = result.latency;
    rows.push([`fixed rate: target / achieved`, `${l.targetRate} / ${fmt(l.achievedRate)} changes/s, max ${l.maxInFlight} in flight`]);
    rows.push(...pipelineRows('fixed rate', l, usage('fixed-rate')));
  }
  if (result.slowTarget) {
    const s = result.slowTarget;
    rows.push(['slow target: delay / timeout / requests / abandoned', `${s.slowDelay} / ${s.deliveryTimeoutMs} ms / ${s.slowRequests} / ${s.slowAbandoned}`]);
    rows.push(...pipelineRows('slow run (healthy)', s.healthy, usage('slow-target')));
    rows.push(['slow target: healthy rate vs baseline', `${fmt(s.healthy.recordedPerSecond)} vs ${fmt(s.baselinePerSecond)}/s (cost ${fmt(s.cost * 100, 1)}%)`]);
  }
  if (result.noisyNeighbour) {
    const n = result.noisyNeighbour;
    rows.push(['noisy neighbour: orders / deliveries / endpoint delay', `${n.noisyOrders} / ${n.noisyDeliveries} / ${n.noisyDelayMs} ms`]);
    rows.push(['noisy neighbour: backlog at start / end of the run', `${n.backlogAtStart} / ${n.backlogAtEnd} pending`]);
    rows.push(['noisy neighbour: quiet p50 / p95 / p99 alone', `${fmt(n.alone.latencyMs.p50, 1)} / ${fmt(n.alone.latencyMs.p95, 1)} / ${fmt(n.alone.latencyMs.p99, 1)} ms at ${fmt(n.alone.achievedRate)} changes/s`]);
    rows.push(['noisy neighbour: quiet p50 / p95 / p99 with backlog', `${fmt(n.withBacklog.latencyMs.p50, 1)} / ${fmt(n.withBacklog.latencyMs.p95, 1)} / ${fmt(n.withBacklog.latencyMs.p99, 1)} ms at ${fmt(n.withBacklog.achievedRate)} changes/s (${n.withBacklog.received}/${n.withBacklog.expectedDeliveries} received)`]);
  }
  if (result.query) {
    const q = result.query;
    rows.push(['events query: rows / insert time', `${q.rows} / ${fmt(q.insertSeconds, 1)} s`]);
    rows.push(['events query: p50 / p95 / p99 / max', `${fmt(q.latencyMs.p50, 1)} / ${fmt(q.latencyMs.p95, 1)} / ${fmt(q.latencyMs.p99, 1)} / ${fmt(q.latencyMs.max, 1)} ms (${q.requests} requests, ${q.errors} errors, mean totalSize ${fmt(q.meanTotalSize, 1)})`]);
  }
  for (const [name, mb] of Object.entries(result.peakRssMb)) rows.push([`peak RSS ${name}`, `${fmt(mb)} MB`]);

  const usageRows: string[][] = [['phase', 's', 'machine busy', ...Object.keys(result.usage[0]?.groups ?? {}), 'other processes']];
  for (const phase of result.usage) {
    const ours = Object.values(phase.groups).reduce((sum, g) => sum + g.cpuSeconds, 0);
    usageRows.push([
      phase.phase,
      fmt(phase.seconds, 1),
      `${fmt(phase.machineBusy * 100)}%`,
      ...Object.values(phase.groups).map((g) => fmt(g.cpuSeconds, 1)),
      fmt(Math.max(0, phase.machineCpuSeconds - ours), 1),
    ]);
  }

  const busyElsewhere = result.usage
    .map((phase) => ({ phase: phase.phase, share: Math.max(0, phase.machineCpuSeconds - Object.values(phase.groups).reduce((sum, g) => sum + g.cpuSeconds, 0)) / Math.max(0.001, phase.seconds * result.environment.cpus) }))
    .filter((phase) => phase.share > 0.1);
  const warning = busyElsewhere.length
    ? [`WARNING: other processes used ${busyElsewhere.map((p) => `${fmt(p.share * 100)}% (${p.phase})`).join(', ')} of the machine: these numbers understate what the services can do.`, '']
    : [];

  const targetRows: string[][] = [['target', 'goal', 'actual', 'met']];
  for (const target of result.targets) targetRows.push([target.name, target.goal, target.actual, target.met ? 'yes' : 'NO']);

  return [
    table(rows, 2),
    '',
    'CPU seconds per phase (both cores: 2 cpu-s per second)',
    table(usageRows),
    '',
    ...warning,
    table(targetRows, 4),
    ...(result.errors.length ? ['', 'errors:', ...result.errors.map((error) => `  ${error}`)] : []),
    '',
  ].join('\n');
}

const RED = '#d62728';
const BLUE = '#1f77b4';
const GREEN = '#2ca02c';

/** [second, p50, p99] per whole second of x. */
export function percentilesPerSecond(points: Array<[number, number]>): Array<[number, number, number]> {
  const buckets = new Map<number, number[]>();
  for (const [x, y] of points) {
    const second = Math.floor(x);
    const bucket = buckets.get(second) ?? [];
    bucket.push(y);
    buckets.set(second, bucket);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, values]) => {
      const d = distribution(values);
      return [second + 0.5, d.p50, d.p99];
    });
}

export function chartPanels(result: BenchResult): Panel[] {
  const panels: Panel[] = [];
  const timelines = result.timelines;
  if (!timelines) return panels;
  if (timelines.latency.length > 0) {
    const perSecond = percentilesPerSecond(timelines.latency);
    const p99s = perSecond.map(([, , p99]) => p99);
    panels.push({
      title: `end-to-end latency at ${result.latency?.targetRate ?? '?'} changes/s (accepted to received)`,
      xLabel: 'seconds',
      yLabel: 'ms',
      // Clip a few extreme outliers so the bulk of the distribution stays readable.
      yMax: Math.max(10, Math.min(Math.max(...p99s) * 1.5, Math.max(...timelines.latency.map(([, y]) => y)))),
      series: [
        { name: 'each delivery', colour: BLUE, opacity: 0.27, style: 'dots', points: timelines.latency },
        { name: 'p50', colour: GREEN, style: 'line', points: perSecond.map(([x, p50]) => [x, p50]) },
        { name: 'p99', colour: RED, style: 'line', points: perSecond.map(([x, , p99]) => [x, p99]) },
      ],
    });
  }
  const rateSeries: Series[] = [];
  if (timelines.throughputRate.length > 0) rateSeries.push({ name: 'no slow target', colour: BLUE, style: 'line', points: timelines.throughputRate });
  if (timelines.orderedRate.length > 0) rateSeries.push({ name: 'every target ordered', colour: GREEN, style: 'line', points: timelines.orderedRate });
  if (timelines.slowRate.length > 0) rateSeries.push({ name: 'with slow target', colour: RED, style: 'line', points: timelines.slowRate });
  if (rateSeries.length > 0) panels.push({ title: 'events recorded (succeeded) per second', xLabel: 'seconds', yLabel: 'per s', series: rateSeries });
  return panels;
}

/** Writes latest.json and latency.svg into `dir`; returns their paths. */
export function writeResults(dir: string, result: BenchResult): { json: string; chart: string | null } {
  mkdirSync(dir, { recursive: true });
  const { timelines, ...serialisable } = result;
  const json = join(dir, 'latest.json');
  writeFileSync(json, JSON.stringify(serialisable, (_, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2) + '\n');
  const panels = chartPanels({ ...result, timelines });
  if (panels.length === 0) return { json, chart: null };
  const chart = join(dir, 'latency.svg');
  writeFileSync(chart, renderChart(panels));
  return { json, chart };
}
