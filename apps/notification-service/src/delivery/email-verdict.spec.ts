import { judgeEmail } from './email-verdict';
import type { RetryPolicy } from './retry-schedule';

const policy: RetryPolicy = { delaysMs: [1_000, 2_000], retryAfterMaxMs: 60_000 };
const now = new Date('2025-01-01T12:00:00.000Z');
const noJitter = () => 0.5;
const automatic = (attempt: number) => ({ attempt, trigger: 'automatic' as const });
const reply = (accepted: boolean, response: string, permanent = false) => ({ kind: 'reply' as const, accepted, response, permanent });

describe('judgeEmail', () => {
  it('succeeds when the server accepts the mail', () => {
    expect(judgeEmail(automatic(1), reply(true, '250 OK: queued as 7F3A'), policy, now, noJitter)).toEqual({ status: 'succeeded', error: null, retryInMs: null, disableTarget: false });
  });

  it('ends an automatic delivery dead at once on a permanent refusal, with the server reply', () => {
    expect(judgeEmail(automatic(1), reply(false, '550 5.1.1 no such user', true), policy, now, noJitter))
      .toEqual({ status: 'dead', error: 'SMTP refused: 550 5.1.1 no such user', retryInMs: null, disableTarget: false });
  });

  it('retries a temporary refusal on the schedule and ends dead after the last attempt', () => {
    expect(judgeEmail(automatic(1), reply(false, '451 4.3.0 try again later'), policy, now, noJitter))
      .toEqual({ status: 'failed', error: 'SMTP refused: 451 4.3.0 try again later', retryInMs: 1_000, disableTarget: false });
    expect(judgeEmail(automatic(3), reply(false, '451 4.3.0 try again later'), policy, now, noJitter)).toMatchObject({ status: 'dead', retryInMs: null });
  });

  it('retries when the server could not be reached', () => {
    expect(judgeEmail(automatic(2), { kind: 'error', error: 'email not sent: connect ECONNREFUSED' }, policy, now, noJitter))
      .toEqual({ status: 'failed', error: 'email not sent: connect ECONNREFUSED', retryInMs: 2_000, disableTarget: false });
  });

  it.each(['retry', 'manual'] as const)('makes a failed %s attempt failed, with nothing scheduled', (trigger) => {
    expect(judgeEmail({ attempt: 2, trigger }, reply(false, '550 no such user', true), policy, now, noJitter)).toEqual({ status: 'failed', error: 'SMTP refused: 550 no such user', retryInMs: null, disableTarget: false });
    expect(judgeEmail({ attempt: 2, trigger }, { kind: 'error', error: 'timeout' }, policy, now, noJitter)).toMatchObject({ status: 'failed', retryInMs: null });
  });
});
