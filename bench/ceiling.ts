/**
 * The raw ceiling: the dispatcher's kind of HTTP client (axios over a keep-alive agent) posting a webhook-sized
 * body straight to the sink with the dispatcher's concurrency. No Kafka, no database, no matching: what the
 * pipeline's delivery rate is compared against.
 */
import http from 'node:http';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import axios from 'axios';
import { now } from './clock';

export interface CeilingResult {
  concurrency: number;
  seconds: number;
  requests: number;
  perSecond: number;
  bodyBytes: number;
  errors: number;
}

export async function measureCeiling(url: string, body: string, headers: Record<string, string>, concurrency: number, seconds: number): Promise<CeilingResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  // Configured as the dispatcher's invoker is: no proxy, no redirects, body sent as is, response read as a stream.
  const client = axios.create({
    httpAgent: agent,
    proxy: false,
    timeout: 10_000,
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: 'stream',
    transformRequest: [(data: unknown) => data],
  });
  let requests = 0;
  let errors = 0;
  const post = async () => {
    try {
      const response = await client.post<Readable>(url, body, { headers: { 'content-type': 'application/json', ...headers } });
      await finished(response.data.resume());
      if (response.status >= 200 && response.status < 300) requests++;
      else errors++;
    } catch {
      errors++;
    }
  };
  try {
    // Warm-up: open the connections and let the JIT settle before the clock starts.
    const warmUntil = now() + Math.min(1000, seconds * 200);
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (now() < warmUntil) await post();
    }));
    requests = 0;
    errors = 0;
    const started = now();
    const until = started + seconds * 1000;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (now() < until) await post();
    }));
    const elapsed = (now() - started) / 1000;
    return { concurrency, seconds: elapsed, requests, perSecond: requests / elapsed, bodyBytes: Buffer.byteLength(body), errors };
  } finally {
    agent.destroy();
  }
}
