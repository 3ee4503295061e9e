import { MASK } from '@ordercast/platform';
import { maskSentSecrets, sentSecrets } from './sent-secrets';

describe('sent secrets', () => {
  const secrets = sentSecrets({
    maskedHeaders: { 'X-Api-Key': MASK, Accept: 'application/json', 'webhook-id': 'msg_1' },
    sentHeaders: { 'X-Api-Key': 'k3y-value', Accept: 'application/json' },
    url: 'https://erp.example/o?token=a%2Fb+c&ref=',
    secret: 'whsec_c2VjcmV0',
  });

  it('lists the masked header values, URL credentials as written and decoded, and the signing secret, longest first', () => {
    expect(secrets).toEqual(expect.arrayContaining(['whsec_c2VjcmV0', 'k3y-value', 'a%2Fb+c', 'a/b c']));
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

  describe('a secret a target echoed JSON-escaped', () => {
    const header = (value: string) => sentSecrets({ maskedHeaders: { 'X-K': MASK }, sentHeaders: { 'X-K': value }, url: 'https://erp.example/o', secret: null });
    /** `value` as Python's json.dumps writes it: every non-ASCII character `\uXXXX`, `/` as it is. */
    const pythonJson = (value: string) => JSON.stringify(value).slice(1, -1).replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    /** `value` as PHP's json_encode writes it by default: `/` as `\/` and non-ASCII as `\uXXXX`. */
    const phpJson = (value: string) => pythonJson(value).replace(/\//g, '\\/');

    it('as Python (`\\uXXXX`, `/` unescaped) and PHP (`\\/` and `\\uXXXX`) write it, in lower- and upper-case hex', () => {
      const value = 'sk_live/AbC+é';
      const secrets = header(value);
      for (const echo of [pythonJson(value), phpJson(value), 'sk_live/AbC+\\u00E9', 'sk_live\\/AbC+\\u00E9']) {
        expect(maskSentSecrets(`{"x-k":"${echo}"}`, secrets)).toBe(`{"x-k":"${MASK}"}`);
      }
    });

    it('as .NET\'s System.Text.Json writes it: ASCII punctuation as `\\u002B`, either hex case', () => {
      const secrets = header('kS3cr3t/Val+ue=XY');
      for (const echo of ['kS3cr3t/Val\\u002Bue=XY', 'kS3cr3t\\u002fVal\\u002bue\\u003dXY', 'kS3cr3t/Val\\u002Bue\\u003DXY']) {
        expect(maskSentSecrets(`{"x":"${echo}"}`, secrets)).toBe(`{"x":"${MASK}"}`);
      }
    });

    it('with a character past the Basic Multilingual Plane as a surrogate pair', () => {
      const secrets = header('key-😀-value');
      for (const echo of ['key-\\ud83d\\ude00-value', 'key-\\uD83D\\uDE00-value']) expect(maskSentSecrets(`[${echo}]`, secrets)).toBe(`[${MASK}]`);
    });

    it('with control characters of a decoded URL value escaped, and HTML-safe encoders\' `\\u003d` and `\\u0026`', () => {
      const secrets = sentSecrets({ maskedHeaders: { 'X-K': MASK }, sentHeaders: { 'X-K': 'YWJj&ZGVm==' }, url: 'https://erp.example/o?token=line%0Anext%09tab', secret: null });
      expect(maskSentSecrets('{"q":"line\\nnext\\ttab"}', secrets)).toBe(`{"q":"${MASK}"}`);
      expect(maskSentSecrets('{"q":"line\\u000anext\\u0009tab"}', secrets)).toBe(`{"q":"${MASK}"}`);
      expect(maskSentSecrets('{"k":"YWJj\\u0026ZGVm\\u003d\\u003d"}', secrets)).toBe(`{"k":"${MASK}"}`);
    });

    it('twice, as a JSON string quoted inside another (the registration URL\'s query value too)', () => {
      const secrets = sentSecrets({ maskedHeaders: { 'X-API-Key': MASK }, sentHeaders: { 'X-API-Key': 'sk_live/AbC+é' }, url: 'http://127.0.0.1:4205/x?token=abc/def', secret: null });
      const echo = JSON.stringify({ py: `"${pythonJson('sk_live/AbC+é')}"`, php: `"${phpJson('sk_live/AbC+é')}"`, qphp: `"${phpJson('/x?token=abc/def')}"` });
      expect(maskSentSecrets(echo, secrets)).toBe(`{"py":"\\"${MASK}\\"","php":"\\"${MASK}\\"","qphp":"\\"\\\\/x?token=${MASK}\\""}`);
    });

    it('cut at the size limit in the middle of its escaped form', () => {
      const secrets = header('sk_live/AbC+é');
      for (const echo of ['sk_live\\\\/Ab', 'sk_live/AbC+\\u00E']) expect(maskSentSecrets(`XXXX${echo}`, secrets, true)).toBe(`XXXX${MASK}`);
    });
  });

  it('masks a secret of 8 characters or more echoed in another case, and a shorter one only as sent', () => {
    const long = sentSecrets({ maskedHeaders: { 'X-K': MASK }, sentHeaders: { 'X-K': 'Sk_Live_AbCdÉf' }, url: 'https://erp.example/o', secret: null });
    for (const echo of ['sk_live_abcdéf', 'SK_LIVE_ABCDÉF', 'sk_live_abcd\\u00c9f', 'sk_live_abcd\\u00e9f']) expect(maskSentSecrets(`<${echo}>`, long)).toBe(`<${MASK}>`);
    const short = sentSecrets({ maskedHeaders: { 'X-K': MASK }, sentHeaders: { 'X-K': 'AbCd' }, url: 'https://erp.example/o', secret: null });
    expect(maskSentSecrets('AbCd abcd ABCD', short)).toBe(`${MASK} abcd ABCD`);
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
