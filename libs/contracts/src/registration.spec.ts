import { plainToInstance } from 'class-transformer';
import { validate, ValidationError } from 'class-validator';
import { RegistrationDto, toRegistration } from './registration';

/** Every message class-validator gives for a registration, as the API's validation pipe sees them. */
async function problems(input: object): Promise<string[]> {
  const errors = await validate(plainToInstance(RegistrationDto, input), { whitelist: true, forbidNonWhitelisted: true });
  const flatten = (list: ValidationError[]): string[] =>
    list.flatMap((error) => [...Object.values(error.constraints ?? {}), ...flatten(error.children ?? [])]);
  return flatten(errors);
}

const documentationForm = {
  url: 'https://erp.example.com/api/orders/{order.id}/import',
  method: 'POST',
  headers: { 'X-API-Key': 'erp-integration-key-12345' },
  scope: { state: ['completed'] },
};

const apiForm = {
  reference: 'erp-export',
  description: 'Send completed orders to the ERP',
  adapterId: 'erp-adapter',
  invoke: 'https://erp.example.com/api/orders',
  scope: '/state/currentStatus',
  schema: { enum: ['completed'] },
};

describe('RegistrationDto validation', () => {
  describe('accepts', () => {
    it.each([
      ['the Norce documentation form', documentationForm],
      ['the Norce API form', apiForm],
      ['a list of watches', { url: 'https://erp.example.com/x', scope: [{ pointer: '/payments', states: ['captured'] }, { pointer: '/customer/email' }] }],
      ['payment and shipping flags', { url: 'https://erp.example.com/x', scope: { payment: true, shipping: ['confirmed'] } }],
      ['every optional field', {
        ...documentationForm, reference: 'r', description: 'd', adapterId: 'a', method: 'PUT', payload: 'metadata', delivery: 'webhook',
        secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      }],
      ['a poll registration without a url', { delivery: 'poll', scope: { state: ['completed'] } }],
      ['an email registration', { delivery: 'email', email: 'ops@example.com', scope: { state: ['declined'] } }],
      ['a kafka registration', { delivery: 'kafka', kafka: { brokers: ['kafka.example.com:9093'], topic: 'erp.orders' }, scope: { state: ['completed'] } }],
      ['an OAuth2 webhook', { ...documentationForm, auth: { type: 'oauth2_client_credentials', tokenUrl: 'https://login.example.com/token', clientId: 'c', clientSecret: 's' } }],
      ['every URL placeholder', { url: 'https://x.example.com/{merchant}/{channel}/{order.id}/{order_id}?ref={order.reference}', scope: { payment: true } }],
    ])('%s', async (_, input) => {
      expect(await problems(input)).toEqual([]);
    });
  });

  describe('scope', () => {
    it.each([
      ['a pointer without a leading slash', { ...apiForm, scope: 'state/currentStatus' }, 'is not a JSON pointer'],
      ['an empty pointer', { ...apiForm, scope: '' }, 'is not a JSON pointer'],
      ['a pointer with a bad escape', { ...apiForm, scope: '/state/~2' }, 'is not a JSON pointer'],
      ['a watch with a bad pointer', { ...documentationForm, scope: [{ pointer: 'payments' }] }, 'scope[0].pointer must be a JSON pointer'],
    ])('refuses %s', async (_, input, message) => {
      expect((await problems(input)).join('\n')).toContain(message);
    });

    it.each([
      ['a schema that is not a JSON Schema', { ...apiForm, schema: { type: 'nonsense' } }, 'schema is not a valid JSON Schema'],
      ['a schema that is not an object', { ...apiForm, schema: 'completed' }, 'schema must be a JSON Schema object'],
      ['a schema beside the object form', { ...documentationForm, schema: { enum: ['completed'] } }, 'schema is only allowed with a JSON pointer scope'],
      ['a bad schema inside a watch', { ...documentationForm, scope: [{ pointer: '/state', schema: { minLength: -1 } }] }, 'scope[0].schema is not a valid JSON Schema'],
    ])('refuses %s', async (_, input, message) => {
      expect((await problems(input)).join('\n')).toContain(message);
    });

    it.each([
      ['an empty object', {}, 'scope must watch something'],
      ['flags that watch nothing', { payment: false, shipping: false }, 'scope must watch something'],
      ['an empty list of watches', [], 'scope must not be empty'],
      ['an empty list of states', { state: [] }, 'scope.state must be a non-empty list of states'],
    ])('refuses an empty scope: %s', async (_, scope, message) => {
      expect((await problems({ ...documentationForm, scope }))).toContain(message);
    });

    it('refuses a missing scope', async () => {
      expect((await problems({ url: 'https://erp.example.com/x' })).join('\n')).toContain('scope must be an object, a list of watches or a JSON pointer');
    });

    it.each([
      ['an unknown order state', { state: ['shipped'] }, 'scope.state has unknown state "shipped"'],
      ['an unknown payment state', { payment: ['paid'] }, 'scope.payment has unknown state "paid"'],
      ['an unknown shipping state', { shipping: ['lost'] }, 'scope.shipping has unknown state "lost"'],
      ['an unknown scope key', { state: ['completed'], refund: true }, 'scope.refund is not a known scope'],
      ['states on a pointer other than payments or shippings', [{ pointer: '/state/currentStatus', states: ['completed'] }], 'scope[0].states is only allowed on /payments and /shippings'],
      ['an unknown field in a watch', [{ pointer: '/payments', when: 'always' }], 'scope[0].when is not allowed'],
    ])('refuses %s', async (_, scope, message) => {
      expect((await problems({ ...documentationForm, scope })).join('\n')).toContain(message);
    });
  });

  describe('headers', () => {
    it.each([
      ['a name with a space', { 'X Api Key': 'v' }, 'header name "X Api Key" is not a valid HTTP header name'],
      ['a name with a colon', { 'X-Key:': 'v' }, 'is not a valid HTTP header name'],
      ['an empty name', { '': 'v' }, 'is not a valid HTTP header name'],
      ['a non-ASCII name', { 'X-Nyckel-Å': 'v' }, 'is not a valid HTTP header name'],
      ['a value with a line break', { 'X-Key': 'v\r\nX-Injected: 1' }, 'header "X-Key" value must be a valid HTTP field value'],
      ['a value outside Latin-1', { 'X-Key': '€uro' }, 'header "X-Key" value must be a valid HTTP field value'],
      ['an emoji', { 'X-Key': '😀' }, 'header "X-Key" value must be a valid HTTP field value'],
      ['DEL', { 'X-Key': 'a\u007f' }, 'header "X-Key" value must be a valid HTTP field value'],
      ['a control character', { 'X-Key': 'a\u0001' }, 'header "X-Key" value must be a valid HTTP field value'],
      ['a C1 control character', { 'X-Key': 'next\u0085line' }, 'header "X-Key" value must be a valid HTTP field value'],
      ['a value that is not a string', { 'X-Key': 42 }, 'header "X-Key" must have a string value'],
      ['a value that is too long', { 'X-Key': 'v'.repeat(4097) }, 'value must be at most 4096 characters'],
      ['one name in two spellings', { 'X-Key': 'a', 'x-key': 'b' }, 'header "x-key" is given twice (also as "X-Key"); header names are case-insensitive'],
    ])('refuses %s', async (_, headers, message) => {
      expect((await problems({ ...documentationForm, headers })).join('\n')).toContain(message);
    });

    it.each([
      'Host', 'Content-Type', 'content-length', 'User-Agent', 'Transfer-Encoding', 'webhook-id', 'Webhook-Signature', 'webhook-timestamp', 'X-JWS-Signature',
      'Content-Encoding', 'content-encoding', 'Content-Range', 'Expect', 'EXPECT',
      'Content-MD5', 'Digest', 'Content-Digest', 'Repr-Digest', 'Range', 'Accept-Encoding', 'Proxy-Authorization', 'Proxy-Connection',
    ])(
      'refuses the reserved header %s',
      async (name) => {
        expect((await problems({ ...documentationForm, headers: { [name]: 'v' } })).join('\n')).toContain(`header "${name}" is set by Ordercast`);
      },
    );

    it('refuses more than 32 headers', async () => {
      const headers = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`X-H${i}`, 'v']));
      expect(await problems({ ...documentationForm, headers })).toContain('headers must have at most 32 entries');
    });

    it('accepts headers of 16 KiB in all and refuses more', async () => {
      const fourOf = (size: number) => Object.fromEntries(['X-A', 'X-B', 'X-C', 'X-D'].map((name) => [name, 'v'.repeat(size - name.length)]));
      expect(await problems({ ...documentationForm, headers: fourOf(4096) })).toEqual([]);
      expect(await problems({ ...documentationForm, headers: { ...fourOf(4096), 'X-E': 'v' } })).toContain(
        'headers must take at most 16384 bytes in all (names and values); these take 16388',
      );
      // Bytes, not characters: a value of 3,000 "å" is 6,000 bytes.
      expect((await problems({ ...documentationForm, headers: { 'X-A': 'å'.repeat(3000), 'X-B': 'å'.repeat(3000), 'X-C': 'å'.repeat(3000) } })).join('\n')).toContain('at most 16384 bytes');
    });

    it('accepts what HTTP can carry: tabs, spaces and Latin-1', async () => {
      expect(await problems({ ...documentationForm, headers: { 'X-Key': 'Bearer a\tb ~ åäö ÿ' } })).toEqual([]);
    });

    it('refuses headers that are not an object', async () => {
      expect(await problems({ ...documentationForm, headers: ['X-Key: v'] })).toContain('headers must be an object of strings');
    });
  });

  describe('target', () => {
    it.each([
      ['ftp', 'ftp://erp.example.com/orders', 'url must use http or https'],
      ['file', 'file:///etc/passwd', 'url must use http or https'],
      ['javascript', 'javascript:alert(1)', 'url must use http or https'],
      ['a relative URL', '/api/orders', 'url must be an absolute http(s) URL'],
      ['credentials in the URL', 'https://user:secret@erp.example.com/', 'url must not carry credentials'],
      ['a URL that is too long', `https://erp.example.com/${'a'.repeat(2048)}`, 'url must be a URL of at most 2048 characters'],
      ['a placeholder in the host', 'http://{order.reference}/x', 'url may have placeholders only in its path and query'],
      ['a placeholder in part of the host', 'https://{merchant}.erp.example.com/x', 'url may have placeholders only in its path and query'],
      ['a fragment', 'https://erp.example.com/x#token=s', 'url must not have a fragment'],
      ['path parameters', 'https://erp.example.com/x;token=s', 'url must not have ; parameters in its path'],
    ])('refuses %s', async (_, url, message) => {
      expect((await problems({ ...documentationForm, url })).join('\n')).toContain(message);
    });

    it('accepts placeholders in the path and query, and ; inside the query', async () => {
      expect(await problems({ ...documentationForm, url: 'https://erp.example.com/{merchant}/orders/{order.id}?ref={order.reference}&a=1;b' })).toEqual([]);
    });

    it('checks invoke like url', async () => {
      expect((await problems({ ...apiForm, invoke: 'gopher://erp.example.com' })).join('\n')).toContain('invoke must use http or https');
    });

    it('refuses url and invoke together', async () => {
      expect((await problems({ ...apiForm, url: 'https://erp.example.com/x' })).join('\n')).toContain('give either url or invoke, not both');
    });

    it('refuses a webhook without a target', async () => {
      expect((await problems({ scope: { state: ['completed'] } })).join('\n')).toContain('a webhook registration needs url (or invoke)');
    });

    it.each([
      ['a kafka registration without its destination', { delivery: 'kafka', scope: { state: ['completed'] } }, 'a kafka registration needs kafka: { brokers, topic }'],
      ['a destination on a webhook', { ...documentationForm, kafka: { brokers: ['k:9092'], topic: 'o' } }, 'kafka is only for delivery "kafka"'],
      ['auth on a poll registration', { delivery: 'poll', scope: { state: ['completed'] }, auth: { type: 'mtls' } }, 'auth is only for delivery "webhook"'],
      ['a malformed destination', { delivery: 'kafka', kafka: { brokers: ['k'], topic: 'o' }, scope: { state: ['completed'] } }, '"k" is not a host:port address'],
      ['malformed auth', { ...documentationForm, auth: { type: 'oauth2_client_credentials' } }, 'auth.clientId must be a non-empty string'],
      ['a client certificate for an http target', { ...documentationForm, url: 'http://erp.example.com/x', auth: { type: 'mtls' } }, 'a client certificate (auth type mtls) needs an https target'],
    ])('refuses %s', async (_, input, message) => {
      expect((await problems(input)).join('\n')).toContain(message);
    });

    it('refuses an email registration without an address', async () => {
      expect((await problems({ delivery: 'email', scope: { state: ['completed'] } })).join('\n')).toContain('an email registration needs email');
    });
  });

  describe('other fields', () => {
    it.each([
      ['an unknown method', { method: 'TRACE' }, 'method must be one of the following values'],
      ['an unknown payload', { payload: 'everything' }, 'payload must be one of the following values'],
      ['an unknown delivery', { delivery: 'sms' }, 'delivery must be one of the following values'],
      ['a bad email', { delivery: 'email', email: 'not-an-address' }, 'email must be an email'],
      ['a secret without the whsec_ prefix', { secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }, 'secret must be a Standard Webhooks secret'],
      ['a secret that is too short', { secret: 'whsec_abc' }, 'secret must be a Standard Webhooks secret'],
      ['a secret that is not a string', { secret: 42 }, 'secret must be a Standard Webhooks secret'],
      ['a secret of 31 base64 characters', { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS' }, 'canonical standard base64'],
      ['a secret with padding it does not need', { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw==' }, 'canonical standard base64'],
      ['a secret without the padding it needs', { secret: `whsec_${Buffer.alloc(25, 7).toString('base64').replace(/=+$/, '')}` }, 'canonical standard base64'],
      ['a secret with stray bits in its last character', { secret: `whsec_${Buffer.alloc(25, 7).toString('base64').replace(/w==$/, 'x==')}` }, 'canonical standard base64'],
      ['a secret with padding inside', { secret: 'whsec_MfKQ9r8GKYqr=TwjUPD8ILPZIo2LaLaSw' }, 'canonical standard base64'],
      ['a masked secret (a new registration has none stored to keep)', { secret: 'whsec_********' }, 'secret is masked (whsec_********) and there is no stored secret to keep: give it'],
      ['an unknown field', { retries: 3 }, 'property retries should not exist'],
    ])('refuses %s', async (_, extra, message) => {
      expect((await problems({ ...documentationForm, ...extra })).join('\n')).toContain(message);
    });

    it.each([18, 24, 25, 32, 64])('accepts the standard base64 of a %i-byte key, padded or not as it needs', async (size) => {
      expect(await problems({ ...documentationForm, secret: `whsec_${Buffer.alloc(size, 0xfb).toString('base64')}` })).toEqual([]);
    });
  });
});

describe('toRegistration', () => {
  const now = new Date('2026-01-02T03:04:05.000Z');

  it('normalises the documentation form with its defaults', () => {
    expect(toRegistration(plainToInstance(RegistrationDto, documentationForm), 'id-1', 'order', now)).toEqual({
      id: 'id-1',
      reference: null,
      description: null,
      adapterId: null,
      url: 'https://erp.example.com/api/orders/{order.id}/import',
      method: 'POST',
      headers: { 'X-API-Key': 'erp-integration-key-12345' },
      scope: [{ pointer: '/state/currentStatus', schema: { enum: ['completed'] } }],
      payload: 'full',
      delivery: 'webhook',
      email: null,
      secret: null,
      auth: null,
      kafka: null,
      ordered: false,
      source: 'order',
      createdAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('takes the API form\'s invoke as the url and its pointer and schema as the watch', () => {
    expect(toRegistration(plainToInstance(RegistrationDto, apiForm), 'id-2', 'channel', now)).toMatchObject({
      reference: 'erp-export',
      description: 'Send completed orders to the ERP',
      adapterId: 'erp-adapter',
      url: 'https://erp.example.com/api/orders',
      scope: [{ pointer: '/state/currentStatus', schema: { enum: ['completed'] } }],
      source: 'channel',
    });
  });

  it('does not share the headers object with the request', () => {
    const dto = plainToInstance(RegistrationDto, documentationForm);
    const registration = toRegistration(dto, 'id-3', 'order', now);
    registration.headers['X-Other'] = 'x';
    expect(dto.headers).toEqual({ 'X-API-Key': 'erp-integration-key-12345' });
  });
});
