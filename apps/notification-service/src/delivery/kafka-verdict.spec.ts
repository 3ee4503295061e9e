import { judgeKafka, producedResponseBody } from './kafka-verdict';
import type { RetryPolicy } from './retry-schedule';

const policy: RetryPolicy = { delaysMs: [1_000, 2_000], retryAfterMaxMs: 60_000 };
const now = new Date('2025-01-01T12:00:00.000Z');
const noJitter = () => 0.5;
const automatic = (attempt: number) => ({ attempt, trigger: 'automatic' as const });
const produced = { kind: 'produced' as const, partition: 1, offset: '42' };
const unreachable = { kind: 'error' as const, error: 'kafka: Connection error: connect ECONNREFUSED 127.0.0.1:9092' };

describe('judgeKafka', () => {
  it('succeeds when the cluster acknowledged the record', () => {
    expect(judgeKafka(automatic(1), produced, policy, now, noJitter)).toEqual({ status: 'succeeded', error: null, retryInMs: null, disableTarget: false });
  });

  it('retries a failure on the schedule and ends dead after the last attempt', () => {
    expect(judgeKafka(automatic(1), unreachable, policy, now, noJitter)).toEqual({ status: 'failed', error: unreachable.error, retryInMs: 1_000, disableTarget: false });
    expect(judgeKafka(automatic(2), unreachable, policy, now, noJitter)).toMatchObject({ status: 'failed', retryInMs: 2_000 });
    expect(judgeKafka(automatic(3), unreachable, policy, now, noJitter)).toMatchObject({ status: 'dead', retryInMs: null });
  });

  it('does not retry an operator retry or a manual send', () => {
    expect(judgeKafka({ attempt: 1, trigger: 'retry' }, unreachable, policy, now, noJitter)).toEqual({ status: 'failed', error: unreachable.error, retryInMs: null, disableTarget: false });
    expect(judgeKafka({ attempt: 1, trigger: 'manual' }, unreachable, policy, now, noJitter)).toMatchObject({ status: 'failed', retryInMs: null });
  });
});

describe('producedResponseBody', () => {
  it('is the partition and the offset as a string', () => {
    expect(producedResponseBody(produced)).toBe('{"partition":1,"offset":"42"}');
  });

  it('is null when nothing was produced', () => {
    expect(producedResponseBody(unreachable)).toBeNull();
  });
});
