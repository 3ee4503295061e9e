import { keepMaskedValues, maskTargetConnection, targetOrigin } from './masked-values';
import { MASK } from './masking';

const stored = { url: 'https://erp.example/orders?key=K1&format=json', headers: { 'X-Api-Key': 'H1', Accept: 'application/json' } };

describe('keepMaskedValues', () => {
  it('restores masked header values (any case) and URL credentials while the origin is the same', () => {
    const given = { url: `https://erp.example/v2/orders?key=${MASK}&format=xml`, headers: { 'x-api-key': MASK, Accept: 'text/plain' } };
    expect(keepMaskedValues(given, stored)).toEqual({
      target: { url: 'https://erp.example/v2/orders?key=K1&format=xml', headers: { 'x-api-key': 'H1', Accept: 'text/plain' } },
      problems: [],
    });
  });

  it.each([
    ['another host', 'https://evil.example/orders'],
    ['another scheme', 'http://erp.example/orders'],
    ['another port', 'https://erp.example:8443/orders'],
  ])('keeps nothing on %s, naming every masked value', (_case, url) => {
    const { problems } = keepMaskedValues({ url: `${url}?key=${MASK}`, headers: { 'X-Api-Key': MASK, 'X-New': 'given' } }, stored);
    expect(problems).toEqual([
      `header "X-Api-Key" is masked (${MASK}) and the target origin changed: give its value`,
      `url query parameter "key" is masked (${MASK}) and the target origin changed: give its value`,
    ]);
  });

  it('refuses masked values with nothing stored to keep', () => {
    expect(keepMaskedValues({ url: `https://erp.example/?token=${MASK}`, headers: { 'X-Key': MASK } }, null).problems).toHaveLength(2);
    expect(keepMaskedValues({ url: 'https://erp.example/', headers: { 'X-Other': MASK } }, stored).problems).toEqual([
      `header "X-Other" is masked (${MASK}) and there is no stored value of that name: give its value`,
    ]);
  });

  it('passes values that are not masked as they are', () => {
    const given = { url: 'https://other.example/?k=v', headers: { 'X-Api-Key': 'new' } };
    expect(keepMaskedValues(given, stored)).toEqual({ target: given, problems: [] });
  });

  it('compares origins of templates, which have placeholders only in the path and query', () => {
    expect(targetOrigin('https://erp.example:443/{order.id}?ref={order.reference}')).toBe('https://erp.example');
    expect(targetOrigin(null)).toBeNull();
  });

  describe('target credentials', () => {
    const oauth2 = (tokenUrl: string, clientSecret: string) => ({ type: 'oauth2_client_credentials' as const, tokenUrl, clientId: 'c', clientSecret, scope: null, audience: null });
    const withAuth = { ...stored, auth: oauth2('https://login.example/token', 'S1') };

    it('keeps a masked client secret while the target and the token URL keep their origins', () => {
      const given = { url: 'https://erp.example/v2', headers: {}, auth: oauth2('https://login.example/other', MASK) };
      expect(keepMaskedValues(given, withAuth)).toEqual({ target: { ...given, auth: oauth2('https://login.example/other', 'S1') }, problems: [] });
    });

    it.each([
      ['the target moves', 'https://evil.example/orders', 'https://login.example/token', 'the target origin changed'],
      ['the token URL moves', 'https://erp.example/orders', 'https://evil.example/token', 'the token URL origin changed'],
    ])('refuses a masked client secret when %s', (_case, url, tokenUrl, reason) => {
      expect(keepMaskedValues({ url, headers: {}, auth: oauth2(tokenUrl, MASK) }, withAuth).problems).toEqual([
        `auth.clientSecret is masked (${MASK}) and ${reason}: give its value`,
      ]);
    });

    it('keeps masked token URL query values while the target and the token URL keep their origins', () => {
      const storedQuery = { ...stored, auth: oauth2('https://login.example/token?tenant=T1&key=K2', 'S1') };
      const given = { url: 'https://erp.example/v2', headers: {}, auth: oauth2(`https://login.example/token?tenant=${MASK}&key=new`, MASK) };
      expect(keepMaskedValues(given, storedQuery)).toEqual({
        target: { ...given, auth: oauth2('https://login.example/token?tenant=T1&key=new', 'S1') }, problems: [],
      });
    });

    it.each([
      ['the target moves', 'https://evil.example/orders', 'https://login.example/token', 'the target origin changed'],
      ['the token URL moves', 'https://erp.example/orders', 'https://evil.example/token', 'the token URL origin changed'],
    ])('refuses masked token URL query values when %s, and where nothing is stored', (_case, url, tokenUrl, reason) => {
      const storedQuery = { ...stored, auth: oauth2('https://login.example/token?tenant=T1', 'S1') };
      expect(keepMaskedValues({ url, headers: {}, auth: oauth2(`${tokenUrl}?tenant=${MASK}`, 'S2') }, storedQuery).problems).toEqual([
        `auth.tokenUrl query parameter "tenant" is masked (${MASK}) and ${reason}: give its value`,
      ]);
      expect(keepMaskedValues({ url: 'https://erp.example/', headers: {}, auth: oauth2(`https://login.example/token?tenant=${MASK}`, 'S2') }, null).problems).toEqual([
        `auth.tokenUrl query parameter "tenant" is masked (${MASK}) and there is no stored value to keep: give its value`,
      ]);
    });

    it('keeps a masked SASL password only for the same brokers, in any order', () => {
      const kafka = (brokers: string[], password: string) => ({ brokers, topic: 'orders', ssl: false, sasl: { mechanism: 'plain' as const, username: 'u', password } });
      const storedKafka = { url: null, headers: {}, kafka: kafka(['a:9092', 'b:9092'], 'P1') };
      expect(keepMaskedValues({ url: null, headers: {}, kafka: kafka(['b:9092', 'a:9092'], MASK) }, storedKafka).target.kafka?.sasl?.password).toBe('P1');
      expect(keepMaskedValues({ url: null, headers: {}, kafka: kafka(['evil:9092'], MASK) }, storedKafka).problems).toEqual([
        `kafka.sasl.password is masked (${MASK}) and the brokers changed: give its value`,
      ]);
      expect(keepMaskedValues({ url: null, headers: {}, kafka: kafka(['a:9092'], MASK) }, null).problems).toHaveLength(1);
    });
  });
});

describe('maskTargetConnection', () => {
  it('masks the client secret and every query value of the token URL, and nothing else', () => {
    const auth = { type: 'oauth2_client_credentials' as const, tokenUrl: 'https://login.example/token?x=Q1&tenant=T1', clientId: 'cid', clientSecret: 'S1', scope: 'orders', audience: null };
    expect(maskTargetConnection({ id: 'r1', auth, kafka: null })).toEqual({
      id: 'r1', auth: { ...auth, tokenUrl: `https://login.example/token?x=${MASK}&tenant=${MASK}`, clientSecret: MASK }, kafka: null,
    });
  });

  it('masks an mTLS private key and a SASL password as before', () => {
    const masked = maskTargetConnection({
      auth: { type: 'mtls' as const, certificate: 'CERT', privateKey: 'KEY', subject: 'CN=erp', fingerprint: 'AB', validTo: '2030-01-01T00:00:00.000Z' },
      kafka: { brokers: ['a:9092'], topic: 'orders', ssl: false, sasl: { mechanism: 'plain' as const, username: 'u', password: 'P1' } },
    });
    expect(masked.auth).toMatchObject({ type: 'mtls', certificate: 'CERT', privateKey: MASK });
    expect(masked.kafka?.sasl?.password).toBe(MASK);
  });
});
