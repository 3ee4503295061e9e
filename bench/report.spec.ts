import type { PhaseUsage } from './procstat';
import { AloneResult, BenchResult, distribution, evaluateTargets, formatReport, PipelineResult, RateResult } from './report';

const NO_SAMPLES = distribution([]);

function pipeline(recordedPerSecond: number, recorded: number, p99 = 10): PipelineResult {
  return {
    orders: 100, changes: 800, apiErrors: 0, apiErrorSamples: [], expectedDeliveries: recorded, received: recorded, recorded,
    seconds: recorded / recordedPerSecond, recordedPerSecond, receivedPerSecond: recordedPerSecond,
    latencyMs: { ...distribution([1, 2, 3]), p99 }, apiMs: NO_SAMPLES, duplicates: 0, timedOut: false,
    stages: { acceptedSeconds: 1, publishedSeconds: 1, ingestedSeconds: 1, recordedSeconds: 1, peakOutboxBacklog: 0, peakPendingEvents: 0 },
    breakdown: { outboxRelayMs: NO_SAMPLES, acceptedToIngestedMs: NO_SAMPLES, acceptedToPublishedMs: NO_SAMPLES, publishedToIngestedMs: NO_SAMPLES, ingestedToReceivedMs: NO_SAMPLES },
  };
}

function alone(perSecond: number, errors = 0): AloneResult {
  return { orders: 128, concurrency: 32, requests: perSecond * 4, errors, errorSamples: [], seconds: 4, perSecond, apiMs: distribution([5, 6, 7]) };
}

function group(cpuSeconds: number, readCalls = 0, writeCalls = 0) {
  return { cpuSeconds, peakRssMb: 1, readCalls, writeCalls };
}

function result(overrides: Partial<BenchResult>): BenchResult {
  return {
    startedAt: '2026-12-01T00:00:00.000Z', seconds: 60, quick: true,
    environment: { node: 'v20', cpus: 2, memoryGb: 8, bus: 'kafka', database: 'test', loadAverageAtStart: [1, 1, 1] },
    config: {}, ceiling: null, aloneChanges: null, aloneReads: null, throughput: null, ordered: null, latency: null, slowTarget: null,
    noisyNeighbour: null, query: null, peakRssMb: {}, usage: [], targets: [], errors: [],
    ...overrides,
  };
}

const byName = (bench: BenchResult) => new Map(evaluateTargets(bench, []).map((target) => [target.name, target]));

describe('evaluateTargets (issue 13)', () => {
  it('reports every target of the issue, as not measured and not met when its phase was skipped', () => {
    const targets = evaluateTargets(result({}), []);
    expect(targets.map((target) => [target.name, target.actual, target.met])).toEqual([
      ['delivered webhooks/s (3 per change)', 'not measured', false],
      ['CPU per delivery, all processes', 'not measured', false],
      ['order-service alone: changes/s', 'not measured', false],
      ['order-service alone: GET /orders/{id}/s', 'not measured', false],
      ['p99 end-to-end at 200 changes/s', 'not measured', false],
      ['throughput / raw ceiling (same run)', 'not measured', false],
    ]);
  });

  it('meets the order-service-alone targets at their bounds and misses them below or with errors', () => {
    expect(byName(result({ aloneChanges: alone(1500), aloneReads: alone(3000) })).get('order-service alone: changes/s')?.met).toBe(true);
    expect(byName(result({ aloneChanges: alone(1500), aloneReads: alone(3000) })).get('order-service alone: GET /orders/{id}/s')?.met).toBe(true);
    expect(byName(result({ aloneChanges: alone(1499) })).get('order-service alone: changes/s')?.met).toBe(false);
    expect(byName(result({ aloneReads: alone(2999) })).get('order-service alone: GET /orders/{id}/s')?.met).toBe(false);
    expect(byName(result({ aloneChanges: alone(5000, 1) })).get('order-service alone: changes/s')?.met).toBe(false);
  });

  it('counts CPU per delivery over every process group but the load generator', () => {
    const usage = [{
      phase: 'throughput', seconds: 10, machineCpuSeconds: 20, machineBusy: 1,
      groups: { 'order-service': group(4), postgres: group(6), bench: group(9) },
    }];
    const cpu = (recorded: number) => byName(result({ throughput: pipeline(2000, recorded), usage })).get('CPU per delivery, all processes');
    expect(cpu(10_000)).toMatchObject({ actual: '1.00 ms', met: true });
    expect(cpu(9_000)).toMatchObject({ actual: '1.11 ms', met: false });
  });

  it('holds p99 to under 50 ms and the throughput to a quarter of the raw ceiling of the same run', () => {
    const latency = (p99: number): RateResult => ({ ...pipeline(600, 600, p99), targetRate: 200, achievedRate: 200, maxInFlight: 4 });
    expect(byName(result({ latency: latency(49.9) })).get('p99 end-to-end at 200 changes/s')?.met).toBe(true);
    expect(byName(result({ latency: latency(50) })).get('p99 end-to-end at 200 changes/s')?.met).toBe(false);
    const ceiling = { concurrency: 64, seconds: 2, requests: 16_000, perSecond: 8000, bodyBytes: 3000, errors: 0 };
    expect(byName(result({ throughput: pipeline(2000, 1000), ceiling })).get('throughput / raw ceiling (same run)')).toMatchObject({ actual: '0.25 (2000 / 8000)', met: true });
    expect(byName(result({ throughput: pipeline(1999, 1000), ceiling })).get('throughput / raw ceiling (same run)')?.met).toBe(false);
  });

  it('prints the socket reads and writes of the Node processes per change, per delivery and per request', () => {
    const usage: PhaseUsage[] = [
      { phase: 'alone-changes', seconds: 10, machineCpuSeconds: 20, machineBusy: 1, groups: { 'order-service': group(4, 400, 320), postgres: group(6, 99, 99) } },
      { phase: 'throughput', seconds: 10, machineCpuSeconds: 20, machineBusy: 1, groups: { 'order-service': group(4, 1500, 1200), 'notification-service': group(5, 3300, 3000), postgres: group(6, 99, 99) } },
    ];
    const bench = result({ throughput: { ...pipeline(300, 1000), changes: 1000, recorded: 3000 }, aloneChanges: alone(100), usage });
    const report = formatReport({ ...bench, targets: evaluateTargets(bench, []) });
    expect(report).toMatch(/throughput: read \/ write system calls +order-service 1\.50 \/ 1\.20 per change, 0\.50 \/ 0\.40 per delivery; notification-service 3\.30 \/ 3\.00 per change, 1\.10 \/ 1\.00 per delivery\n/);
    expect(report).toMatch(/order-service alone: payment changes: read \/ write system calls +order-service 1\.00 \/ 0\.80 per request\n/);
  });

  it('prints the order-service-alone rows with their share of the raw ceiling', () => {
    const ceiling = { concurrency: 64, seconds: 2, requests: 16_000, perSecond: 8000, bodyBytes: 3000, errors: 0 };
    const bench = result({ ceiling, aloneChanges: alone(400), aloneReads: alone(800) });
    const report = formatReport({ ...bench, targets: evaluateTargets(bench, []) });
    expect(report).toMatch(/order-service alone: payment changes: requests\/s +400\/s \(0\.05 of the raw ceiling\)/);
    expect(report).toMatch(/order-service alone: GET \/orders\/\{id\}: requests\/s +800\/s \(0\.10 of the raw ceiling\)/);
    expect(report).toMatch(/order-service alone: changes\/s +>= 1500 +400 +NO/);
  });
});
