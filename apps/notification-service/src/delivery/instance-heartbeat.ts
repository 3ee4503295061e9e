import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotificationServiceConfig } from '../config/notification-service.config';
import { DispatchRepository } from './dispatch.repository';

/** What the dispatcher hears from the heartbeat. */
export interface HeartbeatListener {
  /** A heartbeat was written: the instance may send again if it had stopped. */
  beat(): void;
  /** This instance had been taken for dead and its leases released: nothing held in memory may be sent. */
  leasesLost(): void;
  /** Leases of dead instances were released: their rows are due now. */
  released(rows: number): void;
}

/**
 * This instance's identity as a lease holder, kept alive by a heartbeat row. Every beat also
 * releases the leases of instances silent for INSTANCE_TIMEOUT_MS, so a crashed instance's rows
 * are sent again within seconds, by whichever instance beats first, instead of at lease expiry.
 *
 * The other side of that bargain: an instance whose last successful beat is half the timeout old
 * may already count as dead elsewhere, so {@link alive} turns false and it starts no call until its
 * next beat gets through, which also tells it whether its leases were released meanwhile.
 */
@Injectable()
export class InstanceHeartbeat {
  readonly id = randomUUID();
  private readonly logger = new Logger(InstanceHeartbeat.name);
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> | null = null;
  /** performance.now() when the last successful beat was sent. */
  private lastBeat = Number.NEGATIVE_INFINITY;
  private failing = false;
  private listener: HeartbeatListener | null = null;

  constructor(
    private readonly repository: DispatchRepository,
    private readonly config: NotificationServiceConfig,
  ) {}

  /** Writes the first heartbeat (so leases may be taken from now on) and starts beating. */
  async start(listener: HeartbeatListener): Promise<void> {
    this.listener = listener;
    const sent = performance.now();
    await this.repository.heartbeat(this.id);
    this.lastBeat = sent;
    this.logger.log({ msg: 'dispatcher instance registered', instance: this.id });
    this.timer = setInterval(() => {
      this.beating ??= this.beat().finally(() => (this.beating = null));
    }, this.config.instanceHeartbeatMs);
  }

  /** Whether nobody can have taken this instance for dead yet. */
  alive(): boolean {
    return performance.now() - this.lastBeat < this.config.instanceTimeoutMs / 2;
  }

  /** Stops beating, removes the heartbeat and releases what is still leased to this instance (call after the last result was written). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    this.listener = null;
    await this.repository.unregister(this.id).catch((error: Error) =>
      this.logger.warn({ msg: 'could not remove the heartbeat; its leases are released when it times out', instance: this.id, reason: error.message }),
    );
  }

  private async beat(): Promise<void> {
    const sent = performance.now();
    try {
      const known = await this.repository.heartbeat(this.id);
      this.lastBeat = sent;
      if (this.failing) this.logger.log({ msg: 'heartbeat written again', instance: this.id });
      this.failing = false;
      if (!known) {
        this.logger.warn({ msg: 'this instance was taken for dead and its leases released; dropping what it held', instance: this.id });
        this.listener?.leasesLost();
      }
      this.listener?.beat();
      const released = await this.repository.releaseSilent(this.config.instanceTimeoutMs);
      if (released.instances > 0) {
        this.logger.warn({ msg: 'released the leases of silent instances', instances: released.instances, rows: released.rows });
        if (released.rows > 0) this.listener?.released(released.rows);
      }
    } catch (error) {
      if (!this.failing) this.logger.error({ msg: 'could not write the heartbeat; no calls start until it gets through', instance: this.id, reason: (error as Error).message });
      this.failing = true;
    }
  }
}
