import { judgeAttempt, TARGET_DISABLED_ERROR } from './attempt-verdict';
import type { HttpResult } from './http-invoker';
import type { RetryPolicy } from './retry-schedule';

const policy: RetryPolicy = { delaysMs: [1_000, 2_000], retryAfterMaxMs: 60_000 };
const now = new Date('2025-01-01T12:00:00.000Z');
const noJitter = () => 0.5;
const response = (statusCode: number, headers: Record<string, string> = {}): HttpResult => ({ kind: 'response', statusCode, headers, body: '', truncated: false, durationMs: 5 });
const automatic = (attempt: number) => ({ attempt, trigger: 'automatic' as const });

describe('judgeAttempt', () => {
  it.each([200, 201, 204, 299])('%i succeeds', (status) => {
    expect(judgeAttempt(automatic(1), response(status), policy, now, noJitter)).toEqual({ status: 'succeeded', error: null, retryInMs: null, disableTarget: false });
  });

  it('schedules the next automatic attempt after a failure', () => {
    expect(judgeAttempt(automatic(1), response(500), policy, now, noJitter)).toEqual({ status: 'failed', error: 'HTTP 500', retryInMs: 1_000, disableTarget: false });
    expect(judgeAttempt(automatic(2), response(404), policy, now, noJitter)).toMatchObject({ status: 'failed', retryInMs: 2_000 });
  });

  it('makes the last automatic attempt dead', () => {
    expect(judgeAttempt(automatic(3), response(500), policy, now, noJitter)).toEqual({ status: 'dead', error: 'HTTP 500', retryInMs: null, disableTarget: false });
  });

  it('fails a redirect without following it', () => {
    const verdict = judgeAttempt(automatic(1), response(302, { location: 'https://elsewhere.example.com/' }), policy, now, noJitter);
    expect(verdict).toMatchObject({ status: 'failed', error: 'redirect (302) to https://elsewhere.example.com/ not followed', retryInMs: 1_000 });
  });

  it('masks the credentials of a redirect target it quotes', () => {
    const verdict = judgeAttempt(automatic(1), response(302, { location: '/next?token=SECRET#f' }), policy, now, noJitter);
    expect(verdict.error).toBe('redirect (302) to /next?token=********#******** not followed');
  });

  it('makes an automatic attempt that failed for good dead at once, and an operator retry of it failed', () => {
    const invalid: HttpResult = { kind: 'error', error: 'invalid target URL', durationMs: 0, permanent: true };
    expect(judgeAttempt(automatic(1), invalid, policy, now, noJitter)).toEqual({ status: 'dead', error: 'invalid target URL', retryInMs: null, disableTarget: false });
    expect(judgeAttempt({ attempt: 1, trigger: 'retry' }, invalid, policy, now, noJitter)).toMatchObject({ status: 'failed', retryInMs: null });
  });

  it('keeps the readable error of a network failure', () => {
    const verdict = judgeAttempt(automatic(1), { kind: 'error', error: 'connection refused', durationMs: 1 }, policy, now, noJitter);
    expect(verdict).toMatchObject({ status: 'failed', error: 'connection refused', retryInMs: 1_000 });
  });

  it('honours Retry-After on 429', () => {
    expect(judgeAttempt(automatic(1), response(429, { 'retry-after': '30' }), policy, now, noJitter).retryInMs).toBe(30_000);
  });

  it('disables the target on 410 Gone and ends the chain', () => {
    expect(judgeAttempt(automatic(1), response(410), policy, now, noJitter)).toEqual({ status: 'dead', error: TARGET_DISABLED_ERROR, retryInMs: null, disableTarget: true });
    expect(judgeAttempt({ attempt: 2, trigger: 'retry' }, response(410), policy, now, noJitter)).toMatchObject({ status: 'failed', disableTarget: true });
  });

  it.each(['retry', 'manual'] as const)('attempts a %s once: a failure is failed with nothing scheduled', (trigger) => {
    expect(judgeAttempt({ attempt: 1, trigger }, response(500), policy, now, noJitter)).toEqual({ status: 'failed', error: 'HTTP 500', retryInMs: null, disableTarget: false });
    expect(judgeAttempt({ attempt: 1, trigger }, response(200), policy, now, noJitter).status).toBe('succeeded');
  });
});
