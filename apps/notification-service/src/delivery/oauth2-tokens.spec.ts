import type { OAuth2ClientCredentials } from '@ordercast/contracts';
import type { HttpInvoker, HttpRequest, HttpResult } from './http-invoker';
import { OAuth2Tokens, TokenEndpointError } from './oauth2-tokens';

const credentials: OAuth2ClientCredentials = {
  type: 'oauth2_client_credentials', tokenUrl: 'https://login.example.com/token', clientId: 'erp client', clientSecret: 's3cret:+/', scope: 'orders.write', audience: null,
};

/** A token endpoint answering from a script, recording what it was asked;. */
function tokenEndpoint(...answers: Array<Partial<Extract<HttpResult, { kind: 'response' }>> | { kind: 'error'; error: string }>) {
  const requests: HttpRequest[] = [];
  let issued = 0;
  const http: HttpInvoker = {
    invoke: async (request) => {
      requests.push(request);
      const answer = answers[Math.min(requests.length - 1, answers.length - 1)] ?? {};
      if (answer.kind === 'error') return { kind: 'error', error: answer.error, durationMs: 1 };
      const body = answer.body ?? JSON.stringify({ access_token: `token-${++issued}`, token_type: 'Bearer', expires_in: 3600 });
      return { kind: 'response', statusCode: 200, headers: {}, truncated: false, durationMs: 1, ...answer, body };
    },
  };
  return { http, requests };
}

function sut(endpoint = tokenEndpoint()) {
  let now = 1_000_000;
  const tokens = new OAuth2Tokens(endpoint.http, () => now, 5_000);
  return { tokens, requests: endpoint.requests, advance: (ms: number) => (now += ms) };
}

describe('OAuth2Tokens', () => {
  it('asks with the client credentials grant, the client authenticated by HTTP Basic (form-encoded id and secret)', async () => {
    const { tokens, requests } = sut();
    expect(await tokens.token('alpha', credentials)).toBe('token-1');
    expect(requests).toEqual([{
      url: 'https://login.example.com/token',
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from('erp+client:s3cret%3A%2B%2F').toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: 'grant_type=client_credentials&scope=orders.write',
      timeoutMs: 5_000,
    }]);
  });

  it('sends the audience when there is one', async () => {
    const { tokens, requests } = sut();
    await tokens.token('alpha', { ...credentials, scope: null, audience: 'https://erp.example.com' });
    expect(requests[0].body).toBe('grant_type=client_credentials&audience=https%3A%2F%2Ferp.example.com');
  });

  it('fetches once for concurrent and later calls until shortly before the token expires', async () => {
    const { tokens, requests, advance } = sut();
    expect(await Promise.all([tokens.token('alpha', credentials), tokens.token('alpha', credentials)])).toEqual(['token-1', 'token-1']);
    advance(3_540_000 - 1);
    expect(await tokens.token('alpha', credentials)).toBe('token-1');
    advance(1);
    expect(await tokens.token('alpha', credentials)).toBe('token-2');
    expect(requests).toHaveLength(2);
  });

  it('keeps tokens apart per merchant, client, scope and audience', async () => {
    const { tokens, requests } = sut();
    await tokens.token('alpha', credentials);
    await tokens.token('beta', credentials);
    await tokens.token('alpha', { ...credentials, clientId: 'other' });
    await tokens.token('alpha', { ...credentials, scope: 'orders.read' });
    await tokens.token('alpha', { ...credentials, audience: 'erp' });
    expect(requests).toHaveLength(5);
  });

  it('fetches a new token after the target refused the cached one, but not after refusing an older one', async () => {
    const { tokens, requests } = sut();
    const first = await tokens.token('alpha', credentials);
    tokens.invalidate('alpha', credentials, first);
    const second = await tokens.token('alpha', credentials);
    tokens.invalidate('alpha', credentials, first);
    expect(await tokens.token('alpha', credentials)).toBe(second);
    expect(requests).toHaveLength(2);
  });

  it.each([
    ['an OAuth2 error', { statusCode: 400, body: '{"error":"invalid_client","error_description":"unknown client"}' }, 'oauth2 token endpoint answered 400: invalid_client'],
    ['an error page', { statusCode: 503, body: 'Service Unavailable' }, 'oauth2 token endpoint answered 503: Service Unavailable'],
    ['no access token', { body: '{"token_type":"Bearer"}' }, 'oauth2 token endpoint answered without an access_token'],
    ['another token type', { body: '{"access_token":"t","token_type":"mac"}' }, 'oauth2 token endpoint gave a mac token; only Bearer tokens are supported'],
    ['a network failure', { kind: 'error' as const, error: 'connection refused' }, 'oauth2 token endpoint: connection refused'],
  ])('fails with a readable error on %s, and asks again next time', async (_, answer, message) => {
    const { tokens, requests } = sut(tokenEndpoint(answer, {}));
    await expect(tokens.token('alpha', credentials)).rejects.toEqual(new TokenEndpointError(message));
    expect(await tokens.token('alpha', credentials)).toBe('token-1');
    expect(requests).toHaveLength(2);
  });

  it('keeps a token without expires_in for five minutes', async () => {
    const { tokens, requests, advance } = sut(tokenEndpoint({ body: '{"access_token":"t","token_type":"bearer"}' }));
    await tokens.token('alpha', credentials);
    advance(270_000 - 1);
    await tokens.token('alpha', credentials);
    expect(requests).toHaveLength(1);
    advance(1);
    await tokens.token('alpha', credentials);
    expect(requests).toHaveLength(2);
  });
});
