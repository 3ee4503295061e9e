import { MASK } from './masking';
import { SecretBox } from './secret-box';
import {
  maskUrlCredentials, maskUrlPath, maskUrlsInText, openUrlCredentials, restoreMaskedUrlCredentials, sealRemainingUrlCredentials,
  sealUrlCredentials, urlCredentialValues,
} from './url-credentials';

const box = new SecretBox('QVDcfeNXbwM4UboRvanSPgD6X5T6ai4lduzHvGjUI1k=');

describe('URL credentials', () => {
  it.each([
    ['an S3 pre-signed URL', 'https://b.s3.example/k?X-Amz-Signature=S2&X-Amz-Credential=S2b', `https://b.s3.example/k?X-Amz-Signature=${MASK}&X-Amz-Credential=${MASK}`],
    ['a name on no list', 'https://h.example/p?foo=S3', `https://h.example/p?foo=${MASK}`],
    ['a fragment', 'https://h.example/p#token=S6', `https://h.example/p#${MASK}`],
    ['a bracketed name', 'https://h.example/p?token[]=S14', `https://h.example/p?token[]=${MASK}`],
    ['an empty name', 'https://h.example/p?=S15', `https://h.example/p?=${MASK}`],
    ['a semicolon in the query', 'https://h.example/p?a=1;token=S17', `https://h.example/p?a=${MASK}`],
    ['a parameter without =', 'https://h.example/p?S16&format=json', `https://h.example/p?${MASK}&format=${MASK}`],
  ])('masks every query value and the fragment: %s', (_case, url, masked) => {
    expect(maskUrlCredentials(url)).toBe(masked);
  });

  it.each([
    ['no query', 'https://h.example/orders/{order.id}'],
    ['empty values', 'https://h.example/o?token=&a='],
    ['placeholder values', 'https://h.example/o?order={order.id}&ref=r-{order.reference}'],
  ])('leaves a URL with %s as it is', (_case, url) => {
    expect(maskUrlCredentials(url)).toBe(url);
    expect(sealUrlCredentials(url, box)).toBe(url);
  });

  it('seals credentials in place, keeping the URL valid, and opens them to the exact text written', () => {
    const url = 'https://erp.example/orders/{order.id}?access_token=a%2Fb+c&Sig=xyz&order={order.id}&bare#frag';
    const sealed = sealUrlCredentials(url, box);
    expect(sealed).not.toMatch(/a%2Fb\+c|xyz|bare|frag/);
    expect(sealed).toMatch(/^https:\/\/erp\.example\/orders\/\{order\.id\}\?access_token=ocs1\.[^&]+&Sig=ocs1\.[^&]+&order=\{order\.id\}&ocs1\.[^&#]+#ocs1\.\S+$/);
    expect(new URL(sealed.replace(/\{order\.id\}/g, '1')).searchParams.get('order')).toBe('1');
    expect(urlCredentialValues(sealed).every((value) => box.isSealed(value))).toBe(true);
    expect(openUrlCredentials(sealed, box)).toBe(url);
    expect(maskUrlCredentials(sealed)).toBe(`https://erp.example/orders/{order.id}?access_token=${MASK}&Sig=${MASK}&order={order.id}&${MASK}#${MASK}`);
  });

  it('seals only what is not sealed yet, for URLs stored before every value counted', () => {
    const legacy = `https://h.example/?token=${box.encrypt('t', 'url-credentials')}&format=json`;
    const sealed = sealRemainingUrlCredentials(legacy, box);
    expect(sealed.startsWith(legacy.split('&')[0])).toBe(true);
    expect(urlCredentialValues(sealed).every((value) => box.isSealed(value))).toBe(true);
    expect(openUrlCredentials(sealed, box)).toBe('https://h.example/?token=t&format=json');
  });

  it('opens a value stored before it counted as a credential as written', () => {
    expect(openUrlCredentials('https://h.example/?format=json', box)).toBe('https://h.example/?format=json');
  });

  it('restores masked values from the stored URL by name and position, and names what it cannot restore', () => {
    const stored = 'https://h.example/p?a=1&b=2&a=3#f';
    expect(restoreMaskedUrlCredentials(`https://h.example/p?a=${MASK}&b=new&a=${MASK}#${MASK}`, stored)).toEqual({ url: 'https://h.example/p?a=1&b=new&a=3#f', missing: [] });
    const result = restoreMaskedUrlCredentials(`https://h.example/p?c=${MASK}`, stored);
    expect(result).toEqual({ url: `https://h.example/p?c=${MASK}`, missing: ['query parameter "c"'] });
  });

  it('masks the credentials of every URL in a text', () => {
    expect(maskUrlsInText('redirect (302) to http://h.example/x?token=SECRET&b=2 not followed'))
      .toBe(`redirect (302) to http://h.example/x?token=${MASK}&b=${MASK} not followed`);
  });

  it("shows other receivers a target's scheme and host only: paths (Slack- or Discord-style secrets), queries, fragments and user info masked", () => {
    expect(maskUrlPath('https://hooks.slack.com/services/T0AAA1111/B0BBB2222/XxYyZz0123456789abcdEFGH')).toBe(`https://hooks.slack.com/${MASK}`);
    expect(maskUrlPath('https://discord.com/api/webhooks/1234/tok-en_123?wait=true#frag')).toBe(`https://discord.com/${MASK}`);
    expect(maskUrlPath('https://erp.example.com:8443/orders/{order.id}')).toBe(`https://erp.example.com:8443/${MASK}`);
    expect(maskUrlPath('https://erp.example.com?token=abc')).toBe(`https://erp.example.com/${MASK}`);
    expect(maskUrlPath('https://user:pass@erp.example.com/')).toBe('https://erp.example.com/');
    expect(maskUrlPath('https://erp.example.com')).toBe('https://erp.example.com');
    expect(maskUrlPath('HTTPS://ERP.example.com/Path\nmore')).toBe(`HTTPS://ERP.example.com/${MASK}`);
    expect(maskUrlPath('http://127.0.0.1:4319\\ALERTSEKRET\\x')).toBe(`http://127.0.0.1:4319/${MASK}`);
    expect(maskUrlPath('HTTPS://[::1]:4317\\SEKRET')).toBe(`HTTPS://[::1]:4317/${MASK}`);
    expect(maskUrlPath('http://127.0.0.1\\SEKRET')).toBe(`http://127.0.0.1/${MASK}`);
    expect(maskUrlPath('not a url/with/secret')).toBe(MASK);
    expect(maskUrlPath(null)).toBeNull();
  });
});
