import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import { urlToHttpOptions } from 'node:url';
import { isForbiddenAddress, TargetGuard } from '@ordercast/platform';
import { ClientCertificate, HttpInvoker, HttpRequest, HttpResult, MAX_RESPONSE_BODY_BYTES } from './http-invoker';

/** Client-certificate agents kept at most; the least recently used is closed beyond this. */
const MAX_CLIENT_CERTIFICATE_AGENTS = 500;
/** Parsed target URLs kept at most (a URL names its order, so they come and go); the oldest make way. */
const MAX_PARSED_TARGETS = 1000;

/** A target URL parsed and checked, with the request options it gives (see `target`). */
interface Target {
  protocol: string;
  options: http.RequestOptions;
}

export interface NodeHttpInvokerOptions {
  /** Sockets per target host (keep-alive pool size). */
  maxSocketsPerHost: number;
  /** Certificate authorities trusted for https targets; the system's when absent. */
  ca?: string[];
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the target',
  EPIPE: 'connection closed by the target',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETARGETBLOCKED: 'refused: private address',
};

/**
 * The HTTP invoker on node:http. No client library: with one request per delivery attempt, a
 * library's config merging and stream wrapping cost more CPU than the call itself.
 *
 * Keep-alive agents resolve hosts through {@link TargetGuard.lookup}, so a name that resolves to a
 * private address is refused at connect time (DNS rebinding); IP literals never reach `lookup`
 * and are checked here. node:http follows no redirects, every status is a response, and the
 * response body is read as text up to 64 KiB, after which the connection is dropped. No proxy
 * is consulted, so nothing else resolves the target.
 */
export class NodeHttpInvoker implements HttpInvoker {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  /** One keep-alive agent per client certificate (mutual TLS), so a connection is never reused with another credential. */
  private readonly certificateAgents = new Map<string, https.Agent>();
  private readonly agentOptions: https.AgentOptions;
  private readonly targets = new Map<string, Target>();

  constructor(private readonly guard: TargetGuard, options: NodeHttpInvokerOptions) {
    this.agentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerHost, lookup: guard.lookup as LookupFunction, ...(options.ca ? { ca: options.ca } : {}) };
    this.httpAgent = new http.Agent(this.agentOptions);
    this.httpsAgent = new https.Agent(this.agentOptions);
  }

  /** Closes the pooled keep-alive connections. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    for (const agent of this.certificateAgents.values()) agent.destroy();
    this.certificateAgents.clear();
  }

  invoke(request: HttpRequest): Promise<HttpResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const target = this.target(request.url);
    if (typeof target === 'string') {
      const refused: HttpResult = { kind: 'error', error: target, durationMs: 0 };
      return Promise.resolve(target === NETWORK_ERRORS.ETARGETBLOCKED ? refused : { ...refused, permanent: true });
    }
    if (request.clientCertificate && target.protocol !== 'https:') {
      return Promise.resolve({ kind: 'error', error: 'refused: a client certificate is only presented to https targets', durationMs: 0 });
    }

    return new Promise<HttpResult>((resolve) => {
      let settled = false;
      let timedOut = false;
      const finish = (result: HttpResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(result);
      };
      const fail = (error: unknown) =>
        finish({ kind: 'error', error: timedOut ? `timeout after ${request.timeoutMs} ms` : describe(error, request.timeoutMs), durationMs: elapsed() });
      // One deadline for connecting, waiting and reading the body.
      const deadline = setTimeout(() => {
        timedOut = true;
        fail(undefined);
        outgoing?.destroy();
      }, request.timeoutMs);

      let outgoing: http.ClientRequest | undefined;
      try {
        const client = target.protocol === 'https:' ? https : http;
        outgoing = client.request(
          { ...target.options, method: request.method, headers: request.headers, agent: this.agent(target, request.clientCertificate) },
          (response) => {
            const chunks: Buffer[] = [];
            let size = 0;
            const respond = (truncated: boolean) =>
              finish({
                kind: 'response',
                statusCode: response.statusCode ?? 0,
                headers: flattenHeaders(response.headers),
                body: Buffer.concat(chunks, size).toString('utf8'),
                truncated,
                durationMs: elapsed(),
              });
            response.on('data', (chunk: Buffer) => {
              if (settled) return;
              if (size + chunk.length > MAX_RESPONSE_BODY_BYTES) {
                chunks.push(chunk.subarray(0, MAX_RESPONSE_BODY_BYTES - size));
                size = MAX_RESPONSE_BODY_BYTES;
                respond(true);
                response.destroy();
                return;
              }
              chunks.push(chunk);
              size += chunk.length;
            });
            response.on('end', () => respond(false));
            response.on('error', fail);
            response.on('close', () => {
              if (!response.complete) fail(new Error('connection closed by the target before the response was complete'));
            });
          },
        );
      } catch (error) {
        // Invalid header names or values are refused before anything is sent, and would be on every retry.
        return finish({ kind: 'error', error: describe(error, request.timeoutMs), durationMs: elapsed(), permanent: true });
      }
      outgoing.on('error', fail);
      if (request.body === null) outgoing.end();
      // As a buffer: Node writes a first string chunk together with the head, both in the chunk's
      // encoding, so a Latin-1 header value (é) would leave as UTF-8 (two bytes); a buffer goes after
      // the head, which Node writes as Latin-1.
      else outgoing.end(Buffer.from(request.body, 'utf8'));
    });
  }

  /** Nest calls this after every module's onModuleDestroy, so the dispatcher has drained its calls by then. */
  onApplicationShutdown(): void {
    this.close();
  }

  private agent(target: Target, certificate: ClientCertificate | undefined): http.Agent {
    if (target.protocol !== 'https:') return this.httpAgent;
    if (!certificate) return this.httpsAgent;
    const key = createHash('sha256').update(certificate.certificate).update('\0').update(certificate.privateKey).digest('base64url');
    let agent = this.certificateAgents.get(key);
    if (agent) {
      this.certificateAgents.delete(key);
    } else {
      agent = new https.Agent({ ...this.agentOptions, cert: certificate.certificate, key: certificate.privateKey });
      if (this.certificateAgents.size >= MAX_CLIENT_CERTIFICATE_AGENTS) {
        const [oldest, evicted] = this.certificateAgents.entries().next().value as [string, https.Agent];
        this.certificateAgents.delete(oldest);
        evicted.destroy();
      }
    }
    this.certificateAgents.set(key, agent);
    return agent;
  }

  /**
   * The parsed URL with its request options, or why it is refused: for good, but for a private address
   * (allowed again by configuration, like a host name that resolves to one). Accepted URLs are kept: the
   * answer depends on the text alone, and host names are still checked by the agents' lookup at every connect.
   * The options are what node:http derives from a URL (userinfo as `auth` included), given as an object so
   * that it is not derived again for every request.
   */
  private target(url: string): Target | string {
    const known = this.targets.get(url);
    if (known) return known;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'invalid target URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'refused: only http and https targets are allowed';
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (!this.guard.allowPrivate && isIP(host) && isForbiddenAddress(host)) return NETWORK_ERRORS.ETARGETBLOCKED;
    const target: Target = { protocol: parsed.protocol, options: { ...urlToHttpOptions(parsed) } };
    if (this.targets.size >= MAX_PARSED_TARGETS) this.targets.delete(this.targets.keys().next().value as string);
    this.targets.set(url, target);
    return target;
  }
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function describe(error: unknown, timeoutMs: number): string {
  const code = errorCode(error);
  if (code === 'ETIMEDOUT') return `timeout after ${timeoutMs} ms`;
  if (code && NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (code && /CERT|SSL|TLS/.test(code)) return `TLS error: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}

/** The network error code, also when Node reports every address of a host failing as one AggregateError. */
function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: string } | undefined)?.code;
  if (error instanceof AggregateError) return (error.errors[0] as { code?: string } | undefined)?.code ?? own;
  return own;
}
