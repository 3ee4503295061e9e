import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { preparedStatement, runPrepared } from '@ordercast/platform';
import { DataSource } from 'typeorm';
import type { DeliveryTarget } from '../delivery/delivery-target';
import { SubscriptionEntity } from './subscription.entity';

/** What matching and delivery need of a subscription. */
export type EnabledSubscription = Pick<
  SubscriptionEntity,
  'id' | 'merchant' | 'name' | 'channels' | 'scope' | 'delivery' | 'payload' | 'url' | 'method' | 'headers' | 'email' | 'secret' | 'auth' | 'kafka'
>;

/** Run for every batch ingest takes, so prepared rather than built by TypeORM each time. */
const FIND_ENABLED = preparedStatement(
  'notifications.enabled-subscriptions',
  `SELECT id, merchant, name, channels, scope, delivery, payload, url, method, headers, email, secret, auth, kafka
   FROM "notifications"."subscriptions" WHERE merchant = ANY($1::text[]) AND enabled`,
);

/** The read matching needs: the enabled subscriptions of some merchants. */
@Injectable()
export class SubscriptionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findEnabled(merchants: string[]): Promise<EnabledSubscription[]> {
    if (merchants.length === 0) return [];
    return runPrepared<EnabledSubscription>(this.dataSource, FIND_ENABLED, [merchants]);
  }
}

/** Whether a subscription covers a channel: no channels listed means every channel. */
export function coversChannel(subscription: EnabledSubscription, channel: string): boolean {
  return subscription.channels.length === 0 || subscription.channels.includes(channel);
}

export function subscriptionTarget(subscription: EnabledSubscription): DeliveryTarget {
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
    sealedAuth: subscription.auth,
    sealedKafka: subscription.kafka,
  };
}
