import { generateWebhookSecret, signStandardWebhook, verifyStandardWebhook } from './standard-webhooks';

// The test vector published with the Standard Webhooks specification.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  messageId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
};
const expected = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

describe('Standard Webhooks signatures', () => {
  it('matches the specification test vector', () => {
    expect(signStandardWebhook(vector)).toBe(expected);
  });

  it('signs the exact body bytes: re-serialised JSON gets another signature', () => {
    expect(signStandardWebhook({ ...vector, body: '{"test":2432232314}' })).not.toBe(expected);
  });

  it('verifies its own signature and the vector', () => {
    expect(verifyStandardWebhook({ ...vector, signature: expected })).toBe(true);
    const secret = generateWebhookSecret();
    const message = { secret, messageId: 'msg_1', timestamp: 1700000000, body: '{"a":1}' };
    expect(verifyStandardWebhook({ ...message, signature: signStandardWebhook(message) })).toBe(true);
  });

  it('accepts a header listing several signatures when one matches', () => {
    expect(verifyStandardWebhook({ ...vector, signature: `v1,AAAA v1a,${expected.slice(3)} ${expected}` })).toBe(true);
  });

  it.each([
    ['a tampered body', { body: '{"test": 2432232315}' }],
    ['another message id', { messageId: 'msg_other' }],
    ['another timestamp', { timestamp: 1614265331 }],
    ['another secret', { secret: generateWebhookSecret() }],
  ])('rejects %s', (_, change) => {
    expect(verifyStandardWebhook({ ...vector, ...change, signature: expected })).toBe(false);
  });

  it('rejects a signature of another version or a truncated one', () => {
    expect(verifyStandardWebhook({ ...vector, signature: `v1a,${expected.slice(3)}` })).toBe(false);
    expect(verifyStandardWebhook({ ...vector, signature: expected.slice(0, -4) })).toBe(false);
    expect(verifyStandardWebhook({ ...vector, signature: '' })).toBe(false);
  });

  it('generates whsec_ secrets of 24 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(generateWebhookSecret()).not.toBe(secret);
  });

  it('refuses a secret without the whsec_ prefix instead of signing with a wrong key', () => {
    expect(() => signStandardWebhook({ ...vector, secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })).toThrow('whsec_');
    expect(() => signStandardWebhook({ ...vector, secret: 'whsec_not base64!' })).toThrow('whsec_');
  });
});
