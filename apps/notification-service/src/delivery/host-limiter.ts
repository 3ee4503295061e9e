/** Bounds the calls in flight per target host, so one slow receiver cannot take every dispatch slot. */
export class HostLimiter {
  private readonly hosts = new Map<string, { active: number; waiting: (() => void)[] }>();

  constructor(private readonly perHost: number) {}

  async acquire(host: string): Promise<void> {
    const entry = this.hosts.get(host) ?? { active: 0, waiting: [] };
    this.hosts.set(host, entry);
    if (entry.active < this.perHost) {
      entry.active += 1;
      return;
    }
    await new Promise<void>((resolve) => entry.waiting.push(resolve));
  }

  /** Hands the slot to the next waiter, or frees it. */
  release(host: string): void {
    const entry = this.hosts.get(host);
    if (!entry) return;
    const next = entry.waiting.shift();
    if (next) return next();
    entry.active -= 1;
    if (entry.active === 0) this.hosts.delete(host);
  }
}
