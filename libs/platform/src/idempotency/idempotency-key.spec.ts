import { MAX_IDEMPOTENCY_KEY_LENGTH, parseIdempotencyKey, requestFingerprint } from './idempotency-key';

describe('parseIdempotencyKey', () => {
  it.each([
    ['8e03978e-40d5-43e8-bc93-6894a57f9324', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"8e03978e-40d5-43e8-bc93-6894a57f9324"', '8e03978e-40d5-43e8-bc93-6894a57f9324'],
    ['"with \\"escapes\\" and \\\\"', 'with "escapes" and \\'],
    ['spaces are printable', 'spaces are printable'],
    ['k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH), 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH)],
    ['"', '"'],
  ])('reads %j as the key %j', (header, key) => {
    expect(parseIdempotencyKey(header)).toEqual({ key });
  });

  it.each([
    ['empty', '', /must not be empty/],
    ['an empty quoted string', '""', /must not be empty/],
    ['one character too long', 'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1), /at most 255/],
    ['too long once unquoted', `"${'k'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1)}"`, /at most 255/],
    ['a control character', 'a\u0001b', /printable ASCII/],
    ['a tab', 'a\tb', /printable ASCII/],
    ['non-ASCII', 'clé', /printable ASCII/],
    ['a quoted string with an unescaped quote', '"a"b"', /quoted string/],
    ['a quoted string with a bad escape', '"a\\nb"', /quoted string/],
    ['a quoted string ending in a lone backslash', '"a\\"', /quoted string/],
  ])('refuses a key that is %s', (_name, header, reason) => {
    const parsed = parseIdempotencyKey(header);
    expect('error' in parsed && parsed.error).toMatch(reason);
  });
});

describe('requestFingerprint', () => {
  const base = { method: 'POST', url: '/api/v0/checkout/orders/o-1/payments', headers: {}, body: { amount: 998, state: 'authorized' } };

  it('is the same for the same request, whatever the member order of the body or the case of the method', () => {
    expect(requestFingerprint({ ...base, method: 'post', body: { state: 'authorized', amount: 998 } })).toBe(requestFingerprint(base));
  });

  it.each([
    ['method', { method: 'PATCH' }],
    ['path', { url: '/api/v0/checkout/orders/o-2/payments' }],
    ['query', { url: '/api/v0/checkout/orders/o-1/payments?x=1' }],
    ['body', { body: { amount: 999, state: 'authorized' } }],
    ['absent body', { body: undefined }],
    ['listed header', { headers: { 'x-channel': 'web' } }],
  ])('differs when the %s differs', (_name, change) => {
    expect(requestFingerprint({ ...base, ...change })).not.toBe(requestFingerprint(base));
  });

  it('tells a missing listed header from an empty one and from another value', () => {
    const prints = [undefined, '', 'web', 'app'].map((channel) => requestFingerprint({ ...base, headers: { 'x-channel': channel } }));
    expect(new Set(prints).size).toBe(4);
  });
});
