import axios, { AxiosInstance, isAxiosError } from 'axios';
import http from 'node:http';
import https from 'node:https';
import { isIP, LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { isForbiddenAddress, TargetGuard } from '@ordercast/platform';
import { HttpInvoker, HttpRequest, HttpResult, MAX_RESPONSE_BODY_BYTES } from './http-invoker';

export interface AxiosHttpInvokerOptions {
  /** Sockets per target host (keep-alive pool size). */
  maxSocketsPerHost: number;
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
 * The HTTP invoker over axios, the only place axios is used. Keep-alive agents resolve hosts
 * through {@link TargetGuard.lookup}, so a name that resolves to a private address is refused
 * at connect time (DNS rebinding); IP literals never reach `lookup` and are checked here.
 * Redirects are not followed, every status is a response, and the response body is read as
 * text up to 64 KiB, after which the connection is dropped.
 */
export class AxiosHttpInvoker implements HttpInvoker {
  private readonly client: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly guard: TargetGuard, options: AxiosHttpInvokerOptions) {
    const agentOptions = { keepAlive: true, maxSockets: options.maxSocketsPerHost, lookup: guard.lookup as LookupFunction };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.client = axios.create({
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      // An environment proxy would resolve the target itself, bypassing the connect-time check.
      proxy: false,
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'stream',
      // The body is sent byte for byte as signed.
      transformRequest: [(data: unknown) => data],
    });
  }

  async invoke(request: HttpRequest): Promise<HttpResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const refusal = this.refusal(request.url);
    if (refusal) return { kind: 'error', error: refusal, durationMs: 0 };
    const controller = new AbortController();
    let timedOut = false;
    // One deadline for connecting, waiting and reading the body; axios' own timeout covers only part of it.
    const deadline = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    try {
      const response = await this.client.request<Readable>({
        url: request.url,
        method: request.method,
        headers: request.headers,
        data: request.body ?? undefined,
        signal: controller.signal,
        timeout: request.timeoutMs,
      });
      const { text, truncated } = await readCapped(response.data, MAX_RESPONSE_BODY_BYTES);
      return { kind: 'response', statusCode: response.status, headers: flattenHeaders(response.headers), body: text, truncated, durationMs: elapsed() };
    } catch (error) {
      return { kind: 'error', error: timedOut ? `timeout after ${request.timeoutMs} ms` : describe(error, request.timeoutMs), durationMs: elapsed() };
    } finally {
      clearTimeout(deadline);
    }
  }

  /** Nest calls this after every module's onModuleDestroy, so the dispatcher has drained its calls by then. */
  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private refusal(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'invalid target URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'refused: only http and https targets are allowed';
    const host = parsed.hostname.replace(/^\[|\]$/g, '');
    if (!this.guard.allowPrivate && isIP(host) && isForbiddenAddress(host)) return 'refused: private address';
    return null;
  }
}

async function readCapped(stream: Readable, cap: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (size + buffer.length > cap) {
      chunks.push(buffer.subarray(0, cap - size));
      size = cap;
      truncated = true;
      break;
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  if (truncated) stream.destroy();
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

function flattenHeaders(headers: object): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}

function describe(error: unknown, timeoutMs: number): string {
  const code = errorCode(error);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return `timeout after ${timeoutMs} ms`;
  if (code && NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (code && /CERT|SSL|TLS/.test(code)) return `TLS error: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}

/** The network error code, also when Node reports every address of a host failing as one AggregateError. */
function errorCode(error: unknown): string | undefined {
  const cause = isAxiosError(error) ? error.cause ?? error : error;
  const own = (error as { code?: string }).code;
  if (cause instanceof AggregateError) return (cause.errors[0] as { code?: string } | undefined)?.code ?? own;
  return (cause as { code?: string } | undefined)?.code ?? own;
}
