/**
 * The raw ceiling: the dispatcher's own HTTP invoker (node:http over keep-alive agents, the same
 * class the dispatcher uses) posting a webhook-sized body straight to the sink with the
 * dispatcher's concurrency. No Kafka, no database, no matching: what the pipeline's delivery rate
 * is compared against.
 */
import { TargetGuard } from '@ordercast/platform';
import { NodeHttpInvoker } from '../apps/notification-service/src/delivery/node-http-invoker';
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
  const invoker = new NodeHttpInvoker(new TargetGuard(true), { maxSocketsPerHost: concurrency });
  let requests = 0;
  let errors = 0;
  const post = async () => {
    const result = await invoker.invoke({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, timeoutMs: 10_000 });
    if (result.kind === 'response' && result.statusCode >= 200 && result.statusCode < 300) requests++;
    else errors++;
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
    invoker.close();
  }
}
