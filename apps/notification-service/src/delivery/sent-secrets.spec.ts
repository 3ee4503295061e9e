import { MASK } from '@ordercast/platform';
import { maskSentSecrets, sentSecrets } from './sent-secrets';

describe('sent secrets', () => {
  const secrets = sentSecrets({
    maskedHeaders: { 'X-Api-Key': MASK, Accept: 'application/json', 'webhook-id': 'msg_1' },
    sentHeaders: { 'X-Api-Key': 'k3y-value', Accept: 'application/json' },
    url: 'https://erp.example/o?token=a%2Fb+c&ref=',
    secret: 'whsec_c2VjcmV0',
  });

  it('lists the masked header values, URL credentials as written and decoded, and the signing secret, longest first, with their JSON escapings', () => {
    expect(secrets).toEqual(expect.arrayContaining(['whsec_c2VjcmV0', 'k3y-value', 'a%2Fb+c', 'a\\/b c', 'a/b c']));
    expect(secrets.map((secret) => secret.length)).toEqual(secrets.map((secret) => secret.length).sort((a, b) => b - a));
  });

  it('adds an OAuth2 client secret as sent to the token endpoint: as given, form-encoded and in the Basic credentials', () => {
    const auth = { type: 'oauth2_client_credentials' as const, tokenUrl: 'https://login.example/token', clientId: 'client', clientSecret: 'c s', scope: null, audience: null };
    const withAuth = sentSecrets({ maskedHeaders: {}, sentHeaders: {}, url: 'https://erp.example/o', secret: null, auth });
    expect(withAuth).toEqual(expect.arrayContaining(['c s', 'c+s', Buffer.from('client:c+s').toString('base64')]));
  });

  it('masks each of them in a stored text', () => {
    expect(maskSentSecrets('got k3y-value and a/b c; see http://h.example/x?session=abc', secrets))
      .toBe(`got ${MASK} and ${MASK}; see http://h.example/x?session=abc`);
    expect(maskSentSecrets(null, secrets)).toBeNull();
  });

  it('masks a secret a target quoted in JSON, escaped as JSON.stringify, PHP (`\\/`) or ASCII-only encoders write it', () => {
    const quoted = sentSecrets({ maskedHeaders: { 'X-K': MASK }, sentHeaders: { 'X-K': 'HS"EC\\RET/Hé' }, url: 'https://erp.example/o', secret: null });
    for (const echo of ['{"x-k":"HS\\"EC\\\\RET/Hé"}', '{"x-k":"HS\\"EC\\\\RET\\/Hé"}', '{"x-k":"HS\\"EC\\\\RET\\/H\\u00e9"}']) {
      expect(maskSentSecrets(echo, quoted)).toBe(`{"x-k":"${MASK}"}`);
    }
    // A value with nothing to escape is listed once (and one this short not in its encodings).
    expect(sentSecrets({ maskedHeaders: { 'X-K': MASK }, sentHeaders: { 'X-K': 'plain' }, url: 'https://erp.example/o', secret: null })).toEqual(['plain']);
  });

  it('masks the start of a secret a truncated text ends in, and only in a truncated text', () => {
    expect(maskSentSecrets('XXXXk3y-va', secrets, true)).toBe(`XXXX${MASK}`);
    expect(maskSentSecrets('XXXXk3y-va', secrets)).toBe('XXXXk3y-va');
    expect(maskSentSecrets('XXXX k3y-value and the end', secrets, true)).toBe(`XXXX ${MASK} and the end`);
  });

  it('masks a secret a target echoed percent-encoded, in base64, in hex, or with its UTF-8 bytes read as Latin-1', () => {
    const value = 'ASEC"ret\\sl/ash/éKEY';
    const encoded = sentSecrets({ maskedHeaders: { 'X-K': MASK }, sentHeaders: { 'X-K': value }, url: 'https://erp.example/o', secret: null });
    const bytes = Buffer.from(value, 'utf8');
    for (const echo of [encodeURIComponent(value), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('latin1')]) {
      expect(maskSentSecrets(`[${echo}]`, encoded)).toBe(`[${MASK}]`);
    }
  });
});
