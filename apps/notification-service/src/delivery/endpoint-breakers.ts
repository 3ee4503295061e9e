import { CircuitBreaker, CircuitDecision, CircuitState } from './circuit-breaker';
import type { Endpoint } from './endpoint';

/**
 * How a call ended, as the breakers see it:
 * - `answered`: a 2xx, or a 4xx (the receiver is up and chose to refuse: its verdict, not an outage);
 * - `failed`: a 5xx or a redirect (the receiver is up, this endpoint is failing);
 * - `unreachable`: no answer (timeout, refused or reset connection, lookup failure).
 */
export type CallOutcome = 'answered' | 'failed' | 'unreachable';

export interface EndpointBreakersOptions {
  /** Consecutive failures of one endpoint that open its circuit. */
  failureThreshold: number;
  cooldownMs: number;
  /** Merchants whose endpoints on one host must each be unreachable `failureThreshold` times in a row to pause the host. */
  hostMerchants: number;
}

/**
 * One circuit per merchant endpoint, and one per host that only several merchants can open.
 * A merchant's failing endpoint pauses that endpoint alone: a receiver that answers 500 to one
 * merchant's URLs may serve the next merchant fine, and 4xx never opens anything. A host is paused
 * for everyone only when it answers nobody: `hostMerchants` merchants unreachable there in a row.
 * Any answer from a host (even a 500) shows it is up and closes its circuit.
 */
export class EndpointBreakers {
  private readonly endpoints: CircuitBreaker;
  /** A host circuit opens on its first failure: the merchants' count is the threshold. */
  private readonly hosts: CircuitBreaker;
  /** Per host: consecutive unanswered calls per merchant. */
  private readonly silent = new Map<string, Map<string, number>>();

  constructor(private readonly options: EndpointBreakersOptions) {
    this.endpoints = new CircuitBreaker({ failureThreshold: options.failureThreshold, cooldownMs: options.cooldownMs });
    this.hosts = new CircuitBreaker({ failureThreshold: 1, cooldownMs: options.cooldownMs });
  }

  /** Until when the endpoint or its host is paused, or null; never starts a probe (see {@link decide}). */
  openUntil(endpoint: Endpoint, now: number): number | null {
    const host = this.hosts.openUntil(endpoint.host, now);
    const own = this.endpoints.openUntil(endpoint.key, now);
    return host === null ? own : own === null ? host : Math.max(host, own);
  }

  /** Whether a call may start now; past an open circuit's cool-down it lets one probe through. */
  decide(endpoint: Endpoint, now: number): CircuitDecision {
    // The non-probing check first, so a probe is never started on one circuit and then refused by the other.
    const openUntil = this.openUntil(endpoint, now);
    if (openUntil !== null) return { allowed: false, retryAt: openUntil };
    const host = this.hosts.decide(endpoint.host, now);
    if (!host.allowed) return host;
    return this.endpoints.decide(endpoint.key, now);
  }

  record(endpoint: Endpoint, outcome: CallOutcome, now: number): void {
    if (outcome === 'answered') this.endpoints.recordSuccess(endpoint.key);
    else this.endpoints.recordFailure(endpoint.key, now);
    if (outcome !== 'unreachable') {
      this.hosts.recordSuccess(endpoint.host);
      this.silent.delete(endpoint.host);
      return;
    }
    const merchants = this.silent.get(endpoint.host) ?? new Map<string, number>();
    merchants.set(endpoint.merchant, (merchants.get(endpoint.merchant) ?? 0) + 1);
    this.silent.set(endpoint.host, merchants);
    const down = [...merchants.values()].filter((count) => count >= this.options.failureThreshold).length;
    if (down >= this.options.hostMerchants) this.hosts.recordFailure(endpoint.host, now);
  }

  endpointState(endpoint: Endpoint, now: number): CircuitState {
    return this.endpoints.state(endpoint.key, now);
  }

  hostState(host: string, now: number): CircuitState {
    return this.hosts.state(host, now);
  }
}

/** 2xx and 4xx are answers the receiver meant; 5xx and 3xx are failures; no response at all is unreachable. */
export function callOutcome(result: { kind: 'response'; statusCode: number } | { kind: 'error' }): CallOutcome {
  if (result.kind === 'error') return 'unreachable';
  return (result.statusCode >= 200 && result.statusCode < 300) || (result.statusCode >= 400 && result.statusCode < 500) ? 'answered' : 'failed';
}
