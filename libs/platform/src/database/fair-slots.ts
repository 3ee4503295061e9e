/** A call waiting for a slot: whose, and how to let it in or give up on it. */
interface Waiter {
  owner: string;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * `size` slots shared by owners (merchants) so that none can keep the others out: while slots are
 * free anyone takes one; when all are taken, a slot given back goes to the waiting owner that holds
 * the fewest (the earliest waiter of that owner), not to whoever asked first. A merchant that fires
 * a thousand requests at once thus waits behind its own, while another merchant's request gets the
 * next slot that frees. A waiter gives up after `timeoutMs` with `timeoutMessage`.
 */
export class FairSlots {
  private readonly held = new Map<string, number>();
  private readonly waiting = new Map<string, Waiter[]>();
  private taken = 0;

  constructor(
    private readonly size: number,
    private readonly timeoutMs: number,
    private readonly timeoutMessage: string,
  ) {}

  /** Resolves once `owner` holds a slot; {@link release} gives it back. */
  acquire(owner: string): Promise<void> {
    if (this.taken < this.size && this.waiting.size === 0) {
      this.take(owner);
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        owner,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.forget(waiter);
          reject(new Error(this.timeoutMessage));
        }, this.timeoutMs),
      };
      const queue = this.waiting.get(owner);
      if (queue) queue.push(waiter);
      else this.waiting.set(owner, [waiter]);
    });
  }

  release(owner: string): void {
    const count = (this.held.get(owner) ?? 0) - 1;
    if (count > 0) this.held.set(owner, count);
    else this.held.delete(owner);
    this.taken -= 1;
    this.admit();
  }

  /** Slots `owner` holds now. */
  holding(owner: string): number {
    return this.held.get(owner) ?? 0;
  }

  private admit(): void {
    while (this.taken < this.size && this.waiting.size > 0) {
      let next: Waiter | undefined;
      for (const [owner, queue] of this.waiting) {
        if (next === undefined || this.holding(owner) < this.holding(next.owner)) next = queue[0];
      }
      this.forget(next!);
      clearTimeout(next!.timer);
      this.take(next!.owner);
      next!.resolve();
    }
  }

  private take(owner: string): void {
    this.held.set(owner, this.holding(owner) + 1);
    this.taken += 1;
  }

  private forget(waiter: Waiter): void {
    const queue = this.waiting.get(waiter.owner);
    if (!queue) return;
    const index = queue.indexOf(waiter);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) this.waiting.delete(waiter.owner);
  }
}
