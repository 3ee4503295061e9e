export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit holds deliveries back before one probe goes through. */
  cooldownMs: number;
}

export type CircuitDecision = { allowed: true } | { allowed: false; retryAt: number };

export type CircuitState = 'closed' | 'open' | 'half-open';

interface Circuit {
  failures: number;
  openUntil: number | null;
  probeStartedAt: number | null;
}

/**
 * One circuit per key (a merchant endpoint or a host, see EndpointBreakers). After `failureThreshold`
 * consecutive failures the key is left alone for `cooldownMs`; then one probe goes through (half-open): its success closes the
 * circuit, its failure opens it again. Callers hold back what is not allowed until `retryAt`
 * instead of failing it, so a paused target loses nothing.
 *
 * Times are plain milliseconds passed in by the caller, so the class has no clock of its own.
 */
export class CircuitBreaker {
  private readonly circuits = new Map<string, Circuit>();

  constructor(private readonly options: CircuitBreakerOptions) {}

  decide(key: string, now: number): CircuitDecision {
    const circuit = this.circuits.get(key);
    if (!circuit || circuit.openUntil === null) return { allowed: true };
    if (now < circuit.openUntil) return { allowed: false, retryAt: circuit.openUntil };
    // A probe that never reported (its dispatcher crashed mid-call) must not hold the circuit forever.
    const probeInFlight = circuit.probeStartedAt !== null && now - circuit.probeStartedAt < this.options.cooldownMs;
    if (probeInFlight) return { allowed: false, retryAt: now + Math.min(this.options.cooldownMs, 1000) };
    circuit.probeStartedAt = now;
    return { allowed: true };
  }

  /** When an open circuit lets deliveries through again, or null; unlike {@link decide} it never starts a probe. */
  openUntil(key: string, now: number): number | null {
    const openUntil = this.circuits.get(key)?.openUntil ?? null;
    return openUntil !== null && now < openUntil ? openUntil : null;
  }

  recordSuccess(key: string): void {
    this.circuits.delete(key);
  }

  recordFailure(key: string, now: number): void {
    const circuit = this.circuits.get(key) ?? { failures: 0, openUntil: null, probeStartedAt: null };
    circuit.failures += 1;
    const probeFailed = circuit.probeStartedAt !== null;
    if (probeFailed || (circuit.openUntil === null && circuit.failures >= this.options.failureThreshold)) {
      circuit.openUntil = now + this.options.cooldownMs;
      circuit.probeStartedAt = null;
    }
    this.circuits.set(key, circuit);
  }

  state(key: string, now: number): CircuitState {
    const circuit = this.circuits.get(key);
    if (!circuit || circuit.openUntil === null) return 'closed';
    return now < circuit.openUntil ? 'open' : 'half-open';
  }
}
