import { Injectable } from '@nestjs/common';
import { afterTenantCommit } from '@ordercast/platform';

/** A long-poll's interest in one merchant's queue; see {@link PollSignal.subscribe}. */
export interface PollWakeup {
  /**
   * Resolves at the next enqueue for the merchant since the previous wait (at once when one
   * already happened), after `timeoutMs`, or when `abort` fires.
   */
  wait(timeoutMs: number, abort?: AbortSignal): Promise<void>;
  close(): void;
}

interface Waiter {
  pending: boolean;
  wake: (() => void) | null;
}

/**
 * Wakes this instance's long-polls when messages are enqueued here. Enqueues on other
 * instances, and rows still inside the enqueuer's transaction when the signal fires, are
 * found by the long-poll's periodic re-check instead.
 */
@Injectable()
export class PollSignal {
  private readonly waiters = new Map<string, Set<Waiter>>();

  /** From a request (an operator's retry), receivers are woken once its transaction committed. */
  notify(merchants: Iterable<string>): void {
    const woken = new Set(merchants);
    afterTenantCommit(() => {
      for (const merchant of woken) {
        for (const waiter of this.waiters.get(merchant) ?? []) {
          waiter.pending = true;
          waiter.wake?.();
        }
      }
    });
  }

  /** Subscribe before looking at the queue, so an enqueue between the look and the wait is not missed. */
  subscribe(merchant: string): PollWakeup {
    const waiter: Waiter = { pending: false, wake: null };
    let set = this.waiters.get(merchant);
    if (!set) this.waiters.set(merchant, (set = new Set()));
    set.add(waiter);
    return {
      wait: (timeoutMs, abort) => {
        if (waiter.pending || abort?.aborted) {
          waiter.pending = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            abort?.removeEventListener('abort', done);
            waiter.wake = null;
            waiter.pending = false;
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          abort?.addEventListener('abort', done);
          waiter.wake = done;
        });
      },
      close: () => {
        waiter.wake?.();
        set.delete(waiter);
        if (set.size === 0 && this.waiters.get(merchant) === set) this.waiters.delete(merchant);
      },
    };
  }
}
