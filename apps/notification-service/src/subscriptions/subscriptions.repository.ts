import { Injectable } from '@nestjs/common';
import { EntityManager, In } from 'typeorm';
import type { DeliveryTarget } from '../delivery/delivery-target';
import { SubscriptionEntity } from './subscription.entity';

/** The read matching needs: the enabled subscriptions of some merchants. */
@Injectable()
export class SubscriptionsRepository {
  async findEnabled(manager: EntityManager, merchants: string[]): Promise<SubscriptionEntity[]> {
    if (merchants.length === 0) return [];
    return manager.find(SubscriptionEntity, { where: { merchant: In(merchants), enabled: true } });
  }
}

/** Whether a subscription covers a channel: no channels listed means every channel. */
export function coversChannel(subscription: SubscriptionEntity, channel: string): boolean {
  return subscription.channels.length === 0 || subscription.channels.includes(channel);
}

export function subscriptionTarget(subscription: SubscriptionEntity): DeliveryTarget {
  return {
    kind: 'subscription',
    id: subscription.id,
    reference: subscription.name,
    description: null,
    scope: subscription.scope,
    url: subscription.url,
    method: subscription.method,
    sealedHeaders: subscription.headers,
    sealedSecret: subscription.secret,
    payload: subscription.payload,
    delivery: subscription.delivery,
    email: subscription.email,
  };
}
