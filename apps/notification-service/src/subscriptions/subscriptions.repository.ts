import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { DeliveryTarget } from '../delivery/delivery-target';
import { SubscriptionEntity } from './subscription.entity';

/** What matching and delivery need of a subscription. */
export type EnabledSubscription = Pick<
  SubscriptionEntity,
  'id' | 'merchant' | 'name' | 'channels' | 'scope' | 'delivery' | 'payload' | 'url' | 'method' | 'headers' | 'email' | 'secret' | 'auth' | 'kafka' | 'ordered'
>;

/** The columns of an {@link EnabledSubscription}. */
const ENABLED_COLUMNS = 'id, merchant, name, channels, scope, delivery, payload, url, method, headers, email, secret, auth, kafka, ordered';

/**
 * The enabled subscriptions of the merchants in `merchants` (a `text[]` parameter), as one JSON array: what
 * matching reads for every batch ingest takes, inside ingest's first statement of the batch
 * (IngestAttempts.begin) rather than in a statement of its own. Alert subscriptions (events listed)
 * never match order changes.
 */
export function enabledSubscriptionsJson(merchants: string): string {
  return `(SELECT coalesce(json_agg(subscription), '[]'::json) FROM (
      SELECT ${ENABLED_COLUMNS} FROM "notifications"."subscriptions" WHERE merchant = ANY(${merchants}::text[]) AND enabled AND events = '{}'
    ) subscription)`;
}

/** The alert subscriptions' read; ingest's read of order subscriptions is {@link enabledSubscriptionsJson}. */
@Injectable()
export class SubscriptionsRepository {
  /** A merchant's enabled alert subscriptions that receive alerts of `type`, read in the caller's transaction. */
  findAlertSubscribers(manager: EntityManager, merchant: string, type: string): Promise<EnabledSubscription[]> {
    return manager.query(
      `SELECT ${ENABLED_COLUMNS} FROM "notifications"."subscriptions" WHERE merchant = $1 AND enabled AND $2 = ANY(events) ORDER BY created_at, id`,
      [merchant, type],
    );
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
    ordered: subscription.ordered,
  };
}
