import { Injectable } from '@nestjs/common';
import { afterTenantCommit } from '@ordercast/platform';

/**
 * Wakes the relay as soon as a change commits, so a change reaches the bus without
 * waiting for the next poll. A notification that arrives while the relay is busy is
 * remembered, so none is lost. Inside a request it takes effect when the request's
 * transaction committed: woken earlier, the relay would find nothing and sleep.
 */
@Injectable()
export class OutboxSignal {
  private pendingNotification = false;
  private wake: (() => void) | null = null;

  notify(): void {
    afterTenantCommit(() => {
      this.pendingNotification = true;
      this.wake?.();
    });
  }

  /** Whether a change committed since the relay last woke from {@link wait}: it has more to read. */
  get pending(): boolean {
    return this.pendingNotification;
  }

  /** Resolves at the next notification (at once if one came since the last wait) or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    if (this.pendingNotification) {
      this.pendingNotification = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        this.pendingNotification = false;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.wake = done;
    });
  }
}
