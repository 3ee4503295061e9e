import { MASK } from './masking';
import { SecretBox } from './secret-box';
import { CREDENTIAL_QUERY_PARAMETERS, maskUrlCredentials, openUrlCredentials, sealUrlCredentials, urlCredentialsSealed } from './url-credentials';

const box = new SecretBox('QVDcfeNXbwM4UboRvanSPgD6X5T6ai4lduzHvGjUI1k=');

describe('URL credentials', () => {
  it('masks every credential parameter of the list, in any case, and nothing else', () => {
    const query = CREDENTIAL_QUERY_PARAMETERS.map((name, i) => `${i % 2 ? name.toUpperCase() : name}=v${i}`).join('&');
    const masked = maskUrlCredentials(`https://h.example/p?${query}&format=json&page=2#top`);
    expect(masked).not.toMatch(/=v\d/);
    expect(masked).toContain(`&format=json&page=2#top`);
    expect(masked.match(/\*{8}/g)).toHaveLength(CREDENTIAL_QUERY_PARAMETERS.length);
  });

  it.each([
    ['no query', 'https://h.example/orders/{order.id}'],
    ['no credential', 'https://h.example/o?format=json&keyword=x'],
    ['an empty credential', 'https://h.example/o?token=&a=1'],
    ['a parameter without value', 'https://h.example/o?token'],
  ])('leaves a URL with %s as it is', (_case, url) => {
    expect(maskUrlCredentials(url)).toBe(url);
    expect(sealUrlCredentials(url, box)).toBe(url);
  });

  it('decodes the parameter name before comparing it', () => {
    expect(maskUrlCredentials('https://h.example/?api%5Fkey=abc')).toBe(`https://h.example/?api%5Fkey=${MASK}`);
  });

  it('seals credentials in place, keeping the URL valid, and opens them to the exact text written', () => {
    const url = 'https://erp.example/orders/{order.id}?access_token=a%2Fb+c&Sig=xyz&format=json#frag';
    const sealed = sealUrlCredentials(url, box);
    expect(sealed).not.toContain('a%2Fb+c');
    expect(sealed).not.toContain('xyz');
    expect(sealed).toMatch(/^https:\/\/erp\.example\/orders\/\{order\.id\}\?access_token=ocs1\.[^&]+&Sig=ocs1\.[^&]+&format=json#frag$/);
    expect(new URL(sealed.replace('{order.id}', '1')).searchParams.get('format')).toBe('json');
    expect(urlCredentialsSealed(sealed, box)).toBe(true);
    expect(urlCredentialsSealed(url, box)).toBe(false);
    expect(openUrlCredentials(sealed, box)).toBe(url);
    expect(maskUrlCredentials(sealed)).toBe(`https://erp.example/orders/{order.id}?access_token=${MASK}&Sig=${MASK}&format=json#frag`);
  });

  it('refuses to open a credential that is not sealed', () => {
    expect(() => openUrlCredentials('https://h.example/?token=plain', box)).toThrow('not a sealed envelope');
  });
});
