import type { OAuth2ClientCredentials } from '@ordercast/contracts';
import { AuthenticatingInvoker } from './authenticating-invoker';
import type { HttpInvoker, HttpRequest, HttpResult } from './http-invoker';
import { OAuth2Tokens } from './oauth2-tokens';

const TOKEN_URL = 'https://login.example.com/token';
const credentials: OAuth2ClientCredentials = { type: 'oauth2_client_credentials', tokenUrl: TOKEN_URL, clientId: 'c', clientSecret: 's', scope: null, audience: null };
const response = (statusCode: number, body = ''): HttpResult => ({ kind: 'response', statusCode, headers: {}, body, truncated: false, durationMs: 1 });

/** A token endpoint issuing token-1, token-2, ... and a target answering from a script; every call recorded. */
function sut(targetAnswers: number[], tokenStatus = 200) {
  const calls: HttpRequest[] = [];
  let issued = 0;
  let answered = 0;
  const plain: HttpInvoker & { close(): void } = {
    invoke: async (request) => {
      calls.push(request);
      if (request.url === TOKEN_URL) {
        return tokenStatus === 200 ? response(200, JSON.stringify({ access_token: `token-${++issued}`, expires_in: 3600 })) : response(tokenStatus, '{"error":"invalid_client"}');
      }
      return response(targetAnswers[Math.min(answered++, targetAnswers.length - 1)]);
    },
    close: () => undefined,
  };
  const invoker = new AuthenticatingInvoker(plain, new OAuth2Tokens(plain, () => 0, 1_000));
  const targetCalls = () => calls.filter((call) => call.url !== TOKEN_URL);
  return { invoker, calls, targetCalls };
}

const call = (auth?: HttpRequest['auth']): HttpRequest => ({
  url: 'https://erp.example.com/orders', method: 'POST', headers: { 'webhook-id': 'm-1' }, body: '{}', timeoutMs: 1_000, ...(auth ? { auth } : {}),
});

describe('AuthenticatingInvoker', () => {
  it('passes a call without auth through unchanged', async () => {
    const { invoker, calls } = sut([200]);
    await invoker.invoke(call());
    expect(calls).toEqual([call()]);
  });

  it('sends the shared token as a Bearer header and keeps the call otherwise as it was', async () => {
    const { invoker, targetCalls } = sut([200]);
    await invoker.invoke(call({ merchant: 'alpha', credentials }));
    await invoker.invoke(call({ merchant: 'alpha', credentials }));
    expect(targetCalls()).toEqual([1, 2].map(() => ({ ...call(), headers: { 'webhook-id': 'm-1', Authorization: 'Bearer token-1' } })));
  });

  it('masks the token in what a target that echoes its request answers', async () => {
    const plain: HttpInvoker & { close(): void } = {
      invoke: async (request) => request.url === TOKEN_URL
        ? response(200, JSON.stringify({ access_token: 'echoed-token', expires_in: 3600 }))
        : response(400, `you sent ${request.headers.Authorization}`),
      close: () => undefined,
    };
    const invoker = new AuthenticatingInvoker(plain, new OAuth2Tokens(plain, () => 0, 1_000));
    expect(await invoker.invoke(call({ merchant: 'alpha', credentials }))).toMatchObject({ kind: 'response', body: 'you sent Bearer ********' });
  });

  it('retries once with a new token after a 401, and returns the second answer', async () => {
    const { invoker, targetCalls } = sut([401, 200]);
    expect(await invoker.invoke(call({ merchant: 'alpha', credentials }))).toMatchObject({ kind: 'response', statusCode: 200 });
    expect(targetCalls().map((c) => c.headers.Authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('returns a second 401 as it is, without a third call', async () => {
    const { invoker, targetCalls } = sut([401]);
    expect(await invoker.invoke(call({ merchant: 'alpha', credentials }))).toMatchObject({ kind: 'response', statusCode: 401 });
    expect(targetCalls()).toHaveLength(2);
  });

  it('fails without calling the target when the token endpoint refuses the client', async () => {
    const { invoker, targetCalls } = sut([200], 400);
    expect(await invoker.invoke(call({ merchant: 'alpha', credentials }))).toEqual({ kind: 'error', error: 'oauth2 token endpoint answered 400: invalid_client', durationMs: expect.any(Number) });
    expect(targetCalls()).toEqual([]);
  });

  it('presents an mTLS credential as the client certificate, adding no header', async () => {
    const { invoker, calls } = sut([200]);
    await invoker.invoke(call({ merchant: 'alpha', credentials: { type: 'mtls', certificate: 'CERT', privateKey: 'KEY', subject: 'CN=x', fingerprint: 'AA', validTo: '2030-01-01T00:00:00.000Z' } }));
    expect(calls).toEqual([{ ...call(), clientCertificate: { certificate: 'CERT', privateKey: 'KEY' } }]);
  });
});
