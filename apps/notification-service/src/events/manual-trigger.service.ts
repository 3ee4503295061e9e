import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { activeTraceHeaders, SECRET_BOX, SecretBox } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { CLOCK, Clock } from '../clock';
import { publicOrder } from '../delivery/delivery-body';
import { registrationTarget } from '../delivery/delivery-target';
import { DispatchSignal } from '../delivery/dispatch-signal';
import { deliveryCause, newDelivery } from '../delivery/new-delivery';
import { OrderSnapshotStore } from '../orders/order-snapshot.store';
import { DeliveriesRepository } from './deliveries.repository';
import { MerchantSendRate } from './merchant-send-rate';
import { TriggerDto } from './dto/trigger.dto';
import { EventRecord } from './event-record';
import { EventQueries } from './event-queries';
import { MANUAL_SCOPE, MANUAL_TYPE } from './event-types';

/**
 * Sends an order's notifications now from the latest snapshot, whatever its scope (Verifone's
 * manual notification). Every send is a new message (new `webhook-id`), scope `manual`.
 */
@Injectable()
export class ManualTrigger {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly snapshots: OrderSnapshotStore,
    private readonly deliveries: DeliveriesRepository,
    private readonly queries: EventQueries,
    private readonly signal: DispatchSignal,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly rate: MerchantSendRate,
  ) {}

  async trigger(merchant: string, orderId: string, request: TriggerDto): Promise<EventRecord[]> {
    const latest = await this.snapshots.findLatest(merchant, orderId);
    if (!latest) throw new NotFoundException(`order ${orderId} not found`);
    const sealedOrder = latest.order;
    const registrations = sealedOrder.notifications.filter(
      (r) => (request.notificationId === undefined || r.id === request.notificationId) && (request.reference === undefined || r.reference === request.reference),
    );
    if (registrations.length === 0 && (request.notificationId !== undefined || request.reference !== undefined)) {
      const wanted = request.notificationId !== undefined ? `notification ${request.notificationId}` : `notification with reference "${request.reference}"`;
      throw new NotFoundException(`${wanted} not found on order ${orderId}`);
    }
    const now = this.clock.now();
    const cause = deliveryCause({
      changeId: null,
      type: MANUAL_TYPE,
      occurredAt: now.toISOString(),
      sequence: latest.sequence,
      merchant,
      channel: sealedOrder.channel,
      orderId,
      orderReference: sealedOrder.reference,
      change: { kind: 'manual' },
      order: publicOrder(sealedOrder, this.box),
    }, activeTraceHeaders());
    const deliveries = registrations.map((registration) => newDelivery(cause, registrationTarget(registration), MANUAL_SCOPE, 'manual', now));
    const bytes = deliveries.reduce((sum, delivery) => sum + Buffer.byteLength(delivery.body), 0);
    const inserted = await this.rate.spend(merchant, bytes, async () => ({ result: await this.deliveries.insert(this.dataSource, deliveries), used: true }));
    const { eventIds, pendingIds } = inserted;
    this.signal.notify(pendingIds);
    this.deliveries.announce(inserted);
    return this.queries.byIds(merchant, eventIds);
  }
}
