import type { ServiceDatabase } from '@ordercast/platform';
import { DisabledRegistrationEntity } from './delivery/disabled-registration.entity';
import { EventEntity } from './events/event.entity';
import { MessageEntity } from './events/message.entity';
import { CreateNotificationTables1763769600000 } from './migrations/1763769600000-create-notification-tables';
import { EmailDispatch1795306500000 } from './migrations/1795306500000-email-dispatch';
import { EventsFillfactor1795400000000 } from './migrations/1795400000000-events-fillfactor';
import { CanonicalBodies1795400100000 } from './migrations/1795400100000-canonical-bodies';
import { PartialStatusIndex1795400200000 } from './migrations/1795400200000-partial-status-index';
import { MessageBodyLz41795400300000 } from './migrations/1795400300000-message-body-lz4';
import { EventsFillfactor501795400400000 } from './migrations/1795400400000-events-fillfactor-50';
import { DispatchInstances1795400500000 } from './migrations/1795400500000-dispatch-instances';
import { TenantRowLevelSecurity1795500000000 } from './migrations/1795500000000-tenant-row-level-security';
import { ParkedChanges1795500100000 } from './migrations/1795500100000-parked-changes';
import { IdempotencyKeys1796100000000 } from './migrations/1796100000000-idempotency-keys';
import { SnapshotSequence1796100100000 } from './migrations/1796100100000-snapshot-sequence';
import { TargetConnections1796200000000 } from './migrations/1796200000000-target-connections';
import { MessageTraceContext1796300000000 } from './migrations/1796300000000-message-trace-context';
import { AlertSubscriptions1796300000000 } from './migrations/1796300000000-alert-subscriptions';
import { AlertStates1796300100000 } from './migrations/1796300100000-alert-states';
import { OrderedDelivery1796400000000 } from './migrations/1796400000000-ordered-delivery';
import { WideColumnsLz41796500000000 } from './migrations/1796500000000-wide-columns-lz4';
import { SnapshotAsWritten1796600000000 } from './migrations/1796600000000-snapshot-as-written';
import { DeletedRegistrations1796700000000 } from './migrations/1796700000000-deleted-registrations';
import { AttemptRequestTarget1796800000000 } from './migrations/1796800000000-attempt-request-target';
import { OrderSnapshotEntity } from './orders/order-snapshot.entity';
import { POLLING_ENTITIES, POLLING_MIGRATIONS } from './polling';
import { SIGNING_ENTITIES, SIGNING_MIGRATIONS } from './signing';
import { SubscriptionEntity } from './subscriptions/subscription.entity';

export const NOTIFICATIONS_SCHEMA = 'notifications';

/** Everything notification-service keeps in its schema; shared by the app and the TypeORM CLI. */
export function notificationDatabase(url: string, poolSize?: number): ServiceDatabase {
  return {
    url,
    schema: NOTIFICATIONS_SCHEMA,
    entities: [EventEntity, MessageEntity, OrderSnapshotEntity, SubscriptionEntity, DisabledRegistrationEntity, ...SIGNING_ENTITIES, ...POLLING_ENTITIES],
    migrations: [CreateNotificationTables1763769600000, ...SIGNING_MIGRATIONS, ...POLLING_MIGRATIONS, EmailDispatch1795306500000, EventsFillfactor1795400000000, CanonicalBodies1795400100000, PartialStatusIndex1795400200000, MessageBodyLz41795400300000, EventsFillfactor501795400400000, DispatchInstances1795400500000, TenantRowLevelSecurity1795500000000, ParkedChanges1795500100000,
      IdempotencyKeys1796100000000, SnapshotSequence1796100100000, TargetConnections1796200000000, MessageTraceContext1796300000000,
      AlertSubscriptions1796300000000, AlertStates1796300100000, OrderedDelivery1796400000000, WideColumnsLz41796500000000,
      SnapshotAsWritten1796600000000, DeletedRegistrations1796700000000, AttemptRequestTarget1796800000000],
    poolSize,
    // The event list filters on a status and a scope prefix given as parameters, which its partial status
    // index and pattern index serve only in a plan made for the values.
    requestPlans: 'auto',
  };
}
