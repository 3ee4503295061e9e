import { Injectable } from '@nestjs/common';
import { afterTenantCommit } from '@ordercast/platform';
import type { ClaimedAttempt } from './dispatch.repository';

/** How many attempts the local dispatcher takes leased right now, and the lease holder to write on them. */
export interface LeaseOffer {
  count: number;
  owner: string;
}

/** The local dispatcher, as the writers of new attempts see it. */
export interface DispatchReceiver {
  /** Committed pending attempts to claim when there is room. */
  notify(eventIds: string[]): void;
  /** How many attempts it takes leased right now (0 while stopping). */
  lease(): LeaseOffer;
  /** Attempts inserted already leased to this instance until `leasedUntil` (epoch ms), with what to send. */
  accept(attempts: ClaimedAttempt[], leasedUntil: number): void;
  /** A statement that may have leased attempts to this instance failed: the database may hold leases it does not know of. */
  leaseUncertain(): void;
}

/**
 * Connects the writers of new attempts (ingest, retries, manual sends) to the local dispatcher,
 * so a delivery starts right after its transaction instead of at the next poll. Two ways:
 * - ingest asks for the dispatcher's `lease()` offer, inserts that many attempts already leased and
 *   hands them over with everything needed to send them: no claim statement, no round trip;
 * - the others pass the ids of committed attempts, which the dispatcher claims when it has room.
 * Losing either costs only latency: the rows are in the database, and a leased row's lease
 * expires (or is released with its holder's heartbeat), so polling finds it.
 */
@Injectable()
export class DispatchSignal {
  private receiver: DispatchReceiver | null = null;

  /**
   * From a request, the ids reach the dispatcher once the request's transaction committed, and
   * its claim runs outside the request: the rows are visible and its connection its own.
   */
  notify(eventIds: string[]): void {
    if (eventIds.length === 0) return;
    afterTenantCommit(() => this.receiver?.notify(eventIds));
  }

  /** Null without a local dispatcher (or while it cannot take any). */
  lease(): LeaseOffer | null {
    const offer = this.receiver?.lease() ?? null;
    return offer !== null && offer.count > 0 ? offer : null;
  }

  accept(attempts: ClaimedAttempt[], leasedUntil: number): void {
    if (attempts.length === 0) return;
    this.receiver?.accept(attempts, leasedUntil);
  }

  /** See {@link DispatchReceiver.leaseUncertain}. */
  leaseUncertain(): void {
    this.receiver?.leaseUncertain();
  }

  listen(receiver: DispatchReceiver): void {
    this.receiver = receiver;
  }
}
