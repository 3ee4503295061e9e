import { TargetAuth, withTargetSecrets } from '@ordercast/contracts';
import { MASK, type SecretBox } from '@ordercast/platform';
import type { HttpInvoker, HttpRequest, HttpResult } from './http-invoker';
import { OAuth2Tokens, TokenEndpointError } from './oauth2-tokens';
import { maskSentSecrets } from './sent-secrets';

/**
 * Authenticates calls to targets that ask for it, in front of the plain invoker: an OAuth2 target
 * gets `Authorization: Bearer` with the shared cached token and, when it answers 401, one retry with
 * a fresh token (the cached one may have been revoked before it expired); an mTLS target gets the
 * client certificate in the handshake. A token endpoint that gives no token fails the attempt with
 * its answer as the error, without calling the target. The token never comes back in a result: a
 * target that echoes its request gets it masked in the body and error the Event stores.
 */
export class AuthenticatingInvoker implements HttpInvoker {
  constructor(private readonly plain: HttpInvoker & { close(): void }, private readonly tokens: OAuth2Tokens) {}

  async invoke(request: HttpRequest): Promise<HttpResult> {
    const { auth, ...call } = request;
    if (auth === undefined) return this.plain.invoke(call);
    const credentials = auth.credentials;
    if (credentials.type === 'mtls') {
      return this.plain.invoke({ ...call, clientCertificate: { certificate: credentials.certificate, privateKey: credentials.privateKey } });
    }
    const started = performance.now();
    const withToken = async (): Promise<HttpResult | { token: string; result: HttpResult }> => {
      let token: string;
      try {
        token = await this.tokens.token(auth.merchant, credentials);
      } catch (error) {
        if (!(error instanceof TokenEndpointError)) throw error;
        return { kind: 'error', error: error.message, durationMs: Math.round(performance.now() - started) };
      }
      const result = await this.plain.invoke({ ...call, headers: { ...call.headers, Authorization: `Bearer ${token}` } });
      return { token, result: withoutToken(result, token) };
    };
    const first = await withToken();
    if (!('token' in first)) return first;
    if (first.result.kind !== 'response' || first.result.statusCode !== 401) return first.result;
    this.tokens.invalidate(auth.merchant, credentials, first.token);
    const second = await withToken();
    return 'token' in second ? second.result : second;
  }

  /** Closes the plain invoker's pooled connections (Nest calls this at shutdown). */
  onApplicationShutdown(): void {
    this.plain.close();
  }
}

function withoutToken(result: HttpResult, token: string): HttpResult {
  return result.kind === 'response' ? { ...result, body: maskSentSecrets(result.body, [token]) } : { ...result, error: maskSentSecrets(result.error, [token]) };
}

/** A sealed target auth opened for a call; null when the target wants none. */
export function openTargetAuth(sealed: TargetAuth | null, box: SecretBox): TargetAuth | null {
  return withTargetSecrets({ auth: sealed }, (value) => box.decrypt(value, 'target-credentials')).auth ?? null;
}

/** The headers an Event shows for the authentication it added: the token masked. */
export function maskedAuthHeaders(auth: TargetAuth | null): Record<string, string> {
  return auth?.type === 'oauth2_client_credentials' ? { Authorization: `Bearer ${MASK}` } : {};
}
