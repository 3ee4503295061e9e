import type { HttpMethod, TargetAuth } from '@ordercast/contracts';

/** Injection token of the {@link HttpInvoker}. */
export const HTTP_INVOKER = Symbol('HTTP_INVOKER');

/** Response bodies are kept up to this size; the rest is not read. */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

export interface HttpRequest {
  url: string;
  method: HttpMethod;
  headers: Record<string, string>;
  /** Null for GET and DELETE. */
  body: string | null;
  timeoutMs: number;
  /** Presented in the TLS handshake (mutual TLS); https targets only. */
  clientCertificate?: ClientCertificate;
  /** How the target wants callers authenticated, credentials opened; acted on by the AuthenticatingInvoker. */
  auth?: { merchant: string; credentials: TargetAuth };
}

/** A PEM client certificate and its (opened) private key. */
export interface ClientCertificate {
  certificate: string;
  privateKey: string;
}

export type HttpResult =
  | {
      kind: 'response';
      statusCode: number;
      /** Lower-case names. */
      headers: Record<string, string>;
      /** At most {@link MAX_RESPONSE_BODY_BYTES}, decoded as UTF-8. */
      body: string;
      truncated: boolean;
      durationMs: number;
    }
  | {
      kind: 'error';
      error: string;
      durationMs: number;
      /** No retry can fix it (the URL is invalid, a header value cannot be sent): the delivery is dead at once. */
      permanent?: boolean;
    };

/**
 * Calls a webhook target once: no redirects followed, every status returned as a response,
 * network failures and timeouts as a readable error. The dispatcher depends on this port only.
 */
export interface HttpInvoker {
  invoke(request: HttpRequest): Promise<HttpResult>;
}
